// Helpers for the viz tests: scratch folders, PNG header reading and a small XML
// well-formedness checker (tags balance, attributes quoted, entities known).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace physcnn::viz::test {

// A fresh empty folder under the system temp directory, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& file) const { return path_ + "/" + file; }
  // Files whose name contains ".tmp" (what io::write_file_atomic leaves if it fails).
  std::vector<std::string> temp_files() const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
struct PngInfo {
  bool signature_ok = false;
  uint32_t width = 0, height = 0;
};
PngInfo read_png_info(const std::string& path);
// Empty when `xml` is well-formed, else what is wrong and where.
std::string xml_problem(const std::string& xml);

}  // namespace physcnn::viz::test

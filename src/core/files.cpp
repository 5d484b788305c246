// Path checks with messages that say what was found instead.
#include "core/files.hpp"

#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace physcnn {

namespace fs = std::filesystem;

void require_regular_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status s = fs::status(path, ec);
  if (fs::is_regular_file(s)) return;
  if (!fs::exists(s)) throw IoError(what + " " + path + " does not exist");
  if (fs::is_directory(s)) throw IoError(what + " " + path + " is a folder, not a file");
  throw IoError(what + " " + path + " is not a regular file (a device, FIFO or socket)");
}

void require_directory(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status s = fs::status(path, ec);
  if (fs::is_directory(s)) return;
  if (!fs::exists(s)) throw IoError(what + " " + path + " does not exist");
  throw IoError(what + " " + path + " is a file, not a folder");
}

}  // namespace physcnn

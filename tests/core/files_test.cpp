// require_regular_file / require_directory: each wrong kind of path gets its own message.
#include "core/files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "support/throws.hpp"

namespace physcnn {
namespace {

namespace fs = std::filesystem;

TEST(Files, EachWrongKindOfPathIsNamed) {
  const fs::path dir = fs::temp_directory_path() / "physcnn_files_test";
  fs::create_directories(dir);
  const std::string file = (dir / "a.bin").string();
  std::ofstream(file) << "x";
  EXPECT_NO_THROW(require_regular_file(file, "weights file"));
  EXPECT_NO_THROW(require_directory(dir.string(), "run folder"));
  test::expect_error<IoError>([&] { require_regular_file(dir.string(), "weights file"); },
                              {"weights file", dir.string(), "is a folder, not a file"});
  test::expect_error<IoError>([&] { require_directory(file, "run folder"); },
                              {"run folder", file, "is a file, not a folder"});
  test::expect_error<IoError>(
      [&] { require_regular_file((dir / "missing").string(), "checkpoint"); },
      {"checkpoint", "missing", "does not exist"});
  test::expect_error<IoError>(
      [&] { require_directory((dir / "missing").string(), "image folder"); },
      {"image folder", "does not exist"});
  test::expect_error<IoError>([] { require_regular_file("/dev/null", "weights file"); },
                              {"/dev/null", "not a regular file"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace physcnn

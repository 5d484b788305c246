// require_regular_file / require_directory: each wrong kind of path gets its own message; the
// temporaries of atomic writes and the removal of those whose process is gone.
#include "core/files.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

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

TEST(Files, TemporaryNamesCarryThePid) {
  EXPECT_EQ(temporary_path("/a/b.json"), "/a/b.json.tmp." + std::to_string(::getpid()));
}

// A PID that belonged to a process which has ended (and was reaped).
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(Files, StaleTemporariesOfDeadProcessesAreRemoved) {
  const fs::path dir = fs::temp_directory_path() / "physcnn_files_stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string dead = std::to_string(dead_pid());
  const std::string mine = std::to_string(::getpid());
  const std::vector<std::string> names{"last.safetensors.tmp." + dead,
                                       "metrics.csv.tmp." + dead,
                                       "metrics.csv.tmp." + mine,
                                       "metrics.csv.tmp.1",
                                       "metrics.csv",
                                       "notes.tmp.x" + dead};
  for (const std::string& name : names) std::ofstream((dir / name).string()) << "x";
  const auto removed = remove_stale_temporaries(dir.string());
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(dir / ("last.safetensors.tmp." + dead)));
  EXPECT_FALSE(fs::exists(dir / ("metrics.csv.tmp." + dead)));
  // This process's, PID 1's (alive), the final file, and names that are not temporaries stay.
  for (const size_t kept : {2, 3, 4, 5}) EXPECT_TRUE(fs::exists(dir / names[kept])) << names[kept];
  fs::remove_all(dir);
}

}  // namespace
}  // namespace physcnn

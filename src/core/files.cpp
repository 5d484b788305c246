// Path checks with messages that say what was found instead.
#include "core/files.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
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

std::string temporary_path(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

namespace {

// The writer's PID in a temporary's name ("NAME.tmp.PID"), or 0 when the name is not one.
long temporary_pid(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return 0;
  const std::string pid = name.substr(at + 5);
  if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stol(pid);
}

}  // namespace

std::vector<std::string> remove_stale_temporaries(const std::string& folder) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    const long pid = temporary_pid(name);
    if (pid <= 0 || !entry.is_regular_file(ec)) continue;
    // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it exists).
    if (pid == long(::getpid()) || ::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    if (fs::remove(entry.path(), ec)) removed.push_back(name);
  }
  return removed;
}

}  // namespace physcnn

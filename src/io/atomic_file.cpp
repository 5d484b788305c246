// Temp-file-and-rename writer.
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace physcnn::io {

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    throw IoError("cannot write " + path + ": directory " + target.parent_path().string() +
                  " does not exist");
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError("cannot open " + tmp + " for writing");
      write(out);
      out.flush();
      if (!out) throw IoError("write to " + tmp + " failed (disk full?)");
    }
    // fsync the data before the rename makes it visible under the final name.
    const int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

}  // namespace physcnn::io

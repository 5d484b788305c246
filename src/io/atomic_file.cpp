// Temp-file-and-rename writer.
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <streambuf>

#include "core/error.hpp"
#include "core/files.hpp"

namespace physcnn::io {

namespace {

// An output buffer on a file descriptor that keeps the errno of the first failed write, so that
// the error says why (ENOSPC: "No space left on device"); std::ofstream loses it.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }
  bool drain() {
    const char* p = pbase();
    while (p < pptr() && error_ == 0) {
      const ssize_t n = ::write(fd_, p, size_t(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) error_ = n < 0 ? errno : EIO;
      if (n > 0) p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return error_ == 0;
  }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  int fd_;
  int error_ = 0;
  char buf_[1 << 16];
};

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    throw IoError("cannot write " + path + ": directory " + target.parent_path().string() +
                  " does not exist");
  const std::string tmp = temporary_path(path);
  // What failed, with the system's reason.
  auto failed = [&](const std::string& what, int err) {
    return IoError("cannot write " + path + ": " + what + " " + tmp +
                   " failed: " + std::strerror(err) + " (" + path + " is unchanged)");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw failed("creating", errno);
  try {
    auto buf = std::make_unique<FdBuf>(fd);
    std::ostream out(buf.get());
    write(out);
    out.flush();
    if (buf->error() != 0) throw failed("writing", buf->error());
    if (!out) throw failed("writing", EIO);
    // fsync the data before the rename makes it visible under the final name. EINVAL: a
    // special file (the /dev/full of a test) cannot be synced; anything else is a real failure.
    if (::fsync(fd) != 0 && errno != EINVAL) throw failed("syncing", errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) throw failed("closing", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw failed("renaming", errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

}  // namespace physcnn::io

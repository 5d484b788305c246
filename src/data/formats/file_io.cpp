// Memory maps, byte cursors, checked sizes and atomic writes for the data-format code.
#include "data/formats/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/files.hpp"

namespace physcnn::data::detail {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; a
  // regular file ignores the flag, and everything else is refused just below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  PHYSCNN_CHECK(fd >= 0, IoError, path, ": cannot open for reading: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(::physcnn::detail::cat(path, ": not a regular file"));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw IoError(
          ::physcnn::detail::cat(path, ": mmap of ", size_, " bytes failed: ", std::strerror(err)));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

uint64_t checked_nbytes(const std::vector<int64_t>& dims, size_t elem_size,
                        const std::string& what) {
  uint64_t n = elem_size;
  for (size_t i = 0; i < dims.size(); ++i) {
    PHYSCNN_CHECK(dims[i] >= 0, IoError, what, ": dimension ", i, " is ", dims[i],
                  ", expected >= 0");
    const uint64_t d = static_cast<uint64_t>(dims[i]);
    PHYSCNN_CHECK(d == 0 || n <= kMaxArrayBytes / d, IoError, what, ": shape ", Shape(dims).str(),
                  " of ", elem_size, "-byte elements exceeds the ", kMaxArrayBytes,
                  "-byte limit (or overflows)");
    n *= d;
  }
  return n;
}

void byteswap_elements(uint8_t* data, size_t count, size_t size) {
  if (size <= 1) return;
  for (size_t i = 0; i < count; ++i) std::reverse(data + i * size, data + (i + 1) * size);
}

void ByteCursor::seek(size_t pos, const char* field) {
  PHYSCNN_CHECK(pos <= bytes_.size(), IoError, source_, ": ", field, " at offset ", pos,
                " lies beyond the end of the data (", bytes_.size(), " bytes)");
  pos_ = pos;
}

std::span<const uint8_t> ByteCursor::take(size_t n, const char* field) {
  PHYSCNN_CHECK(n <= remaining(), IoError, source_, ": truncated: ", field, " needs ", n,
                " bytes at offset ", pos_, ", only ", remaining(), " remain");
  auto s = bytes_.subspan(pos_, n);
  pos_ += n;
  return s;
}

uint32_t ByteCursor::be32(const char* field) {
  auto b = take(4, field);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}
uint16_t ByteCursor::le16(const char* field) {
  auto b = take(2, field);
  return static_cast<uint16_t>(b[0] | b[1] << 8);
}
uint32_t ByteCursor::le32(const char* field) {
  auto b = take(4, field);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}
uint64_t ByteCursor::le64(const char* field) {
  const uint64_t lo = le32(field);
  return lo | uint64_t{le32(field)} << 32;
}

AtomicFile::AtomicFile(const std::string& path) : path_(path), tmp_(temporary_path(path)) {
  // The temporary's name carries the PID, so that one left by a killed process is recognised
  // (remove_stale_temporaries) and two processes never share one.
  const int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  PHYSCNN_CHECK(fd >= 0, IoError, path, ": cannot create temporary file ", tmp_, ": ",
                std::strerror(errno));
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    throw IoError(::physcnn::detail::cat(path, ": fdopen failed"));
  }
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  PHYSCNN_CHECK(f_, IoError, path_, ": write after close");
  if (n == 0) return;
  PHYSCNN_CHECK(std::fwrite(data, 1, n, f_) == n, IoError, path_, ": write of ", n, " bytes to ",
                tmp_, " failed: ", std::strerror(errno));
  written_ += n;
}

void AtomicFile::close_stream() {
  if (!f_) return;
  const bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
  const int err = errno;
  std::fclose(f_);
  f_ = nullptr;
  PHYSCNN_CHECK(ok, IoError, path_, ": flushing ", tmp_, " failed: ", std::strerror(err));
}

void AtomicFile::commit() {
  close_stream();
  PHYSCNN_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0, IoError, path_, ": renaming ", tmp_,
                " failed: ", std::strerror(errno));
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

}  // namespace physcnn::data::detail

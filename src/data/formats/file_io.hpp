// Shared plumbing of the format readers and writers: read-only memory maps, bounds-checked byte
// cursors, overflow-checked sizes, byte swapping and atomic (temp file + rename) writes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/shape.hpp"

namespace physcnn::data::detail {

// No reader allocates more than this for one array, whatever a header claims (1 TiB); the
// tighter bound is always the size of the file (or what its compressed bytes can expand to).
inline constexpr uint64_t kMaxArrayBytes = uint64_t{1} << 40;
// zlib's deflate cannot expand data by more than 1032:1 (zlib FAQ, "maximum compression ratio").
inline constexpr uint64_t kMaxDeflateRatio = 1032;

// A whole file mapped read-only; an empty file maps to an empty span.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Bytes a*b*... of `dims` elements of `elem_size` bytes; throws IoError naming `what` on a
// negative extent or when the product overflows or exceeds kMaxArrayBytes.
uint64_t checked_nbytes(const std::vector<int64_t>& dims, size_t elem_size,
                        const std::string& what);

// Reverses the byte order of each of `count` elements of `size` bytes in place.
void byteswap_elements(uint8_t* data, size_t count, size_t size);

// Reads fixed-size fields from a span; every read is bounds-checked and names the field.
class ByteCursor {
 public:
  ByteCursor(std::span<const uint8_t> bytes, std::string source)
      : bytes_(bytes), source_(std::move(source)) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  void seek(size_t pos, const char* field);
  std::span<const uint8_t> take(size_t n, const char* field);
  uint32_t be32(const char* field);
  uint16_t le16(const char* field);
  uint32_t le32(const char* field);
  uint64_t le64(const char* field);
  const std::string& source() const { return source_; }

 private:
  std::span<const uint8_t> bytes_;
  std::string source_;
  size_t pos_ = 0;
};

// Writes a file atomically: data goes to a temporary file (core/files.hpp: temporary_path), which
// commit() flushes and renames over `path`; destroying an uncommitted writer removes it.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(const void* data, size_t n);
  void write(std::span<const uint8_t> b) { write(b.data(), b.size()); }
  uint64_t written() const { return written_; }
  const std::string& temp_path() const { return tmp_; }
  // Closes the stream without renaming (for writers that reopen the temp file, e.g. HDF5).
  void close_stream();
  void commit();

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  uint64_t written_ = 0;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace physcnn::data::detail

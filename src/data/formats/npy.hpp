// NumPy .npy files: read (format 1.0/2.0/3.0; bool, u1, i1, i2, u2, i4, u4, i8, u8, f4, f8 in
// either byte order; C order, and Fortran order transposed on read into C order), write (1.0,
// or 2.0 when the header needs it), and a read-only memory map for arrays larger than memory.
// Object arrays ('O', pickles) and structured/string dtypes are refused, never interpreted.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "data/formats/array.hpp"

namespace physcnn::data {

Array read_npy(const std::string& path);
// From bytes in memory (e.g. an .npz entry); `source` names them in error messages.
Array parse_npy(std::span<const uint8_t> bytes, const std::string& source);

// Writes format 1.0 (2.0 if the header exceeds 65535 bytes), little-endian, C order,
// atomically (temp file + rename).
void write_npy(const std::string& path, const Array& array);
std::vector<uint8_t> encode_npy(const Array& array);

namespace detail {
// What an .npy header says, checked against the bytes that follow it.
struct NpyHeader {
  ElemType type = ElemType::F32;
  bool big_endian = false;
  bool fortran_order = false;
  Shape shape;
  size_t data_offset = 0;  // header length including magic
  uint64_t data_bytes = 0;
};
// `bytes` holds the header and whatever follows of a file of `total_bytes` bytes (a prefix when
// total_bytes > bytes.size(), e.g. the start of a compressed npz entry): the header's data size
// must equal what the whole file has after it.
NpyHeader parse_npy_header(std::span<const uint8_t> bytes, const std::string& source,
                           std::optional<uint64_t> total_bytes = std::nullopt);
// The longest prefix parse_npy_header can need: magic, version, length field and header text.
inline constexpr size_t kMaxNpyHeaderBytes = 12 + (size_t{1} << 20);
}  // namespace detail

// A .npy file mapped read-only: the header is parsed and validated against the file size, the
// data stays on disk and is paged in on access. Needs C order (Fortran-order files: read_npy).
class MappedNpy {
 public:
  explicit MappedNpy(const std::string& path);
  ~MappedNpy();
  MappedNpy(MappedNpy&&) noexcept;
  MappedNpy& operator=(MappedNpy&&) noexcept;

  ElemType type() const { return header_.type; }
  const Shape& shape() const { return header_.shape; }
  bool big_endian() const { return header_.big_endian; }
  // The data bytes exactly as stored (file byte order).
  std::span<const uint8_t> raw() const;
  // Zero-copy typed view; requires the stored type, native byte order and an aligned offset.
  template <class T>
  std::span<const T> values() const {
    check_view(elem_type_of<T>(), alignof(T));
    auto r = raw();
    return {reinterpret_cast<const T*>(r.data()), r.size() / sizeof(T)};
  }
  // Rows [start, start+count) along the first axis, copied into native order (batches of a
  // dataset larger than memory).
  Array read_rows(int64_t start, int64_t count) const;

 private:
  void check_view(ElemType want, size_t align) const;
  struct File;
  std::unique_ptr<File> file_;
  detail::NpyHeader header_;
  std::string path_;
};

}  // namespace physcnn::data

// IDX reader/writer. The header (magic, rank, extents) is checked against the file size — or,
// gzipped, against what the compressed bytes can expand to — before anything is allocated.
#include "data/formats/idx.hpp"

#include <algorithm>
#include <bit>

#include "data/formats/deflate.hpp"
#include "data/formats/file_io.hpp"

namespace physcnn::data {

namespace {

struct IdxType {
  uint8_t code;
  ElemType type;
  const char* name;
};
constexpr IdxType kIdxTypes[] = {{0x08, ElemType::U8, "ubyte"},  {0x09, ElemType::I8, "byte"},
                                 {0x0B, ElemType::I16, "short"}, {0x0C, ElemType::I32, "int"},
                                 {0x0D, ElemType::F32, "float"}, {0x0E, ElemType::F64, "double"}};

const IdxType* find_code(uint8_t code) {
  for (const auto& t : kIdxTypes)
    if (t.code == code) return &t;
  return nullptr;
}

const IdxType* find_type(ElemType type) {
  for (const auto& t : kIdxTypes)
    if (t.type == type) return &t;
  return nullptr;
}

struct IdxHeader {
  const IdxType* type;
  std::vector<int64_t> dims;
  uint64_t payload_bytes;
};

// Parses magic and extents from the first bytes; `available` is what the payload may be at most.
IdxHeader parse_header(std::span<const uint8_t> magic, std::span<const uint8_t> dims_be,
                       const std::string& source) {
  IdxHeader h{};
  h.type = find_code(magic[2]);
  PHYSCNN_CHECK(
      h.type, IoError, source, ": IDX magic byte 2 (element type) is 0x", std::hex, int{magic[2]},
      std::dec,
      ", expected 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float or 0x0E double");
  for (size_t i = 0; i < dims_be.size(); i += 4) {
    const uint32_t d = uint32_t{dims_be[i]} << 24 | uint32_t{dims_be[i + 1]} << 16 |
                       uint32_t{dims_be[i + 2]} << 8 | dims_be[i + 3];
    // The format stores extents as signed 32-bit integers.
    PHYSCNN_CHECK(d <= 0x7fffffffu, IoError, source, ": IDX extent ", i / 4, " is ", d,
                  " (negative as int32)");
    h.dims.push_back(d);
  }
  h.payload_bytes = detail::checked_nbytes(h.dims, elem_size(h.type->type), source + " (IDX)");
  return h;
}

void check_magic(std::span<const uint8_t> m, const std::string& source) {
  PHYSCNN_CHECK(m[0] == 0 && m[1] == 0, IoError, source,
                ": not an IDX file: magic starts with bytes ", int{m[0]}, ",", int{m[1]},
                ", expected 0,0");
}

void to_native(Array& a) {
  if constexpr (std::endian::native == std::endian::little) {
    detail::byteswap_elements(a.bytes.data(), a.bytes.size() / elem_size(a.type),
                              elem_size(a.type));
  }
}

Array parse_raw(std::span<const uint8_t> bytes, const std::string& source) {
  detail::ByteCursor c(bytes, source);
  auto magic = c.take(4, "IDX magic");
  check_magic(magic, source);
  const size_t rank = magic[3];
  auto dims = c.take(4 * rank, "IDX extents");
  IdxHeader h = parse_header(magic, dims, source);
  PHYSCNN_CHECK(h.payload_bytes == c.remaining(), IoError, source, ": IDX header declares ",
                elem_name(h.type->type), " ", Shape(h.dims).str(), " = ", h.payload_bytes,
                " data bytes, but the file holds ", c.remaining(), " after the ", c.pos(),
                "-byte header");
  Array a;
  a.type = h.type->type;
  a.shape = Shape(h.dims);
  auto payload = c.take(h.payload_bytes, "IDX data");
  a.bytes.assign(payload.begin(), payload.end());
  to_native(a);
  return a;
}

Array parse_gzip(std::span<const uint8_t> bytes, const std::string& source) {
  detail::GzipReader z(bytes, source);
  uint8_t magic[4];
  PHYSCNN_CHECK(z.read(magic, 4) == 4, IoError, source,
                ": truncated: gzipped IDX ends before the 4-byte magic");
  check_magic(magic, source);
  std::vector<uint8_t> dims(4 * size_t{magic[3]});
  PHYSCNN_CHECK(z.read(dims.data(), dims.size()) == dims.size(), IoError, source,
                ": truncated: gzipped IDX ends inside the ", int{magic[3]}, " extents");
  IdxHeader h = parse_header(magic, dims, source);
  const uint64_t reachable = uint64_t{bytes.size()} * detail::kMaxDeflateRatio;
  PHYSCNN_CHECK(h.payload_bytes <= reachable, IoError, source, ": IDX header declares ",
                elem_name(h.type->type), " ", Shape(h.dims).str(), " = ", h.payload_bytes,
                " data bytes, more than ", bytes.size(),
                " gzipped bytes can expand to (deflate expands at most 1032:1)");
  Array a;
  a.type = h.type->type;
  a.shape = Shape(h.dims);
  // Grow with the data actually decompressed, so a lying header costs at most 2x real data.
  size_t have = 0;
  while (have < h.payload_bytes) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(h.payload_bytes, std::max<size_t>(1 << 20, 2 * have)));
    a.bytes.resize(want);
    const size_t need = want - have;
    const size_t got = z.read(a.bytes.data() + have, need);
    have += got;
    PHYSCNN_CHECK(got == need, IoError, source, ": truncated: gzipped IDX holds ", have,
                  " data bytes, header declares ", elem_name(h.type->type), " ",
                  Shape(h.dims).str(), " = ", h.payload_bytes);
  }
  uint8_t extra;
  PHYSCNN_CHECK(z.read(&extra, 1) == 0, IoError, source, ": gzipped IDX has data beyond the ",
                h.payload_bytes, " bytes its header declares");
  to_native(a);
  return a;
}

}  // namespace

Array parse_idx(std::span<const uint8_t> bytes, const std::string& source) {
  if (detail::is_gzip(bytes)) return parse_gzip(bytes, source);
  return parse_raw(bytes, source);
}

Array read_idx(const std::string& path) {
  detail::MappedFile f(path);
  return parse_idx(f.bytes(), path);
}

std::vector<uint8_t> encode_idx(const Array& array, const IdxWriteOptions& options) {
  const IdxType* t = find_type(array.type);
  PHYSCNN_CHECK_ARG(t, "write_idx: IDX cannot hold ", elem_name(array.type),
                    " (only uint8, int8, int16, int32, float32, float64)");
  PHYSCNN_CHECK_ARG(array.shape.rank() <= 255, "write_idx: rank ", array.shape.rank(),
                    " exceeds IDX's limit of 255");
  std::vector<uint8_t> out{0, 0, t->code, static_cast<uint8_t>(array.shape.rank())};
  for (int64_t d : array.shape) {
    PHYSCNN_CHECK_ARG(d >= 0 && d <= 0x7fffffff, "write_idx: extent ", d, " of shape ",
                      array.shape.str(), " does not fit IDX's int32");
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(d >> s));
  }
  const size_t header = out.size();
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  if constexpr (std::endian::native == std::endian::little) {
    detail::byteswap_elements(out.data() + header, array.bytes.size() / elem_size(array.type),
                              elem_size(array.type));
  }
  if (options.gzip) return detail::gzip_compress(out);
  return out;
}

void write_idx(const std::string& path, const Array& array, const IdxWriteOptions& options) {
  detail::write_file_atomic(path, encode_idx(array, options));
}

}  // namespace physcnn::data

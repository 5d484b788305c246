// .npy reader/writer and memory map. The header is a Python dict literal; we parse the three
// keys NumPy writes with a small strict parser (never eval) and check the data size it implies
// against the bytes present before copying anything.
#include "data/formats/npy.hpp"

#include <bit>
#include <cctype>
#include <cstring>
#include <optional>

#include "data/formats/file_io.hpp"

namespace physcnn::data {

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
// NumPy itself refuses headers above 10 000 bytes unless asked (numpy 1.24 `max_header_size`);
// allow more for long shapes but stay far from anything costly.
constexpr uint32_t kMaxHeaderLen = detail::kMaxNpyHeaderBytes - 12;

// Tokenizer/parser for the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2,3), }
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  struct Value {
    std::optional<std::string> str;
    std::optional<bool> boolean;
    std::optional<std::vector<int64_t>> tuple;
  };

  std::vector<std::pair<std::string, Value>> parse() {
    std::vector<std::pair<std::string, Value>> out;
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      std::string key = parse_string("a quoted key");
      expect(':');
      out.emplace_back(std::move(key), parse_value());
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != '}') fail("',' or '}'");
    }
    ++i_;
    skip_ws();
    if (i_ != s_.size()) fail("end of header after '}'");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) {
    const std::string found =
        i_ < s_.size() ? std::string(1, s_[i_]) : std::string("end of header");
    throw IoError(detail_cat(source_, ": bad .npy header at character ", i_, ": found '", found,
                             "', expected ", expected, " (header: ", std::string(s_.substr(0, 200)),
                             ")"));
  }
  template <class... A>
  static std::string detail_cat(const A&... a) {
    return ::physcnn::detail::cat(a...);
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) fail(std::string("'") + c + "'");
    ++i_;
  }
  std::string parse_string(const char* what) {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') fail(what);
    const size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') fail("a string without escapes");
      ++i_;
    }
    if (i_ >= s_.size()) fail("closing quote");
    return std::string(s_.substr(start, i_++ - start));
  }
  int64_t parse_int() {
    skip_ws();
    if (peek() == '-') fail("a non-negative extent");
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("an integer");
    int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int d = s_[i_++] - '0';
      if (v > (INT64_MAX - d) / 10) fail("an extent that fits int64");
      v = v * 10 + d;
    }
    if (peek() == 'L') ++i_;  // Python 2 longs in files from old NumPy
    return v;
  }
  Value parse_value() {
    skip_ws();
    Value v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.str = parse_string("a string");
    } else if (s_.substr(i_, 4) == "True") {
      v.boolean = true;
      i_ += 4;
    } else if (s_.substr(i_, 5) == "False") {
      v.boolean = false;
      i_ += 5;
    } else if (c == '(') {
      ++i_;
      std::vector<int64_t> t;
      while (true) {
        skip_ws();
        if (peek() == ')') break;
        t.push_back(parse_int());
        skip_ws();
        if (peek() == ',')
          ++i_;
        else if (peek() != ')')
          fail("',' or ')' in the shape tuple");
        if (t.size() > 64) fail("a shape of at most 64 dimensions");
      }
      ++i_;
      v.tuple = std::move(t);
    } else if (c == '[') {
      fail("a simple dtype string (structured dtypes, given as a list, are not supported)");
    } else {
      fail("a string, True, False or a tuple");
    }
    return v;
  }

  std::string_view s_;
  const std::string& source_;
  size_t i_ = 0;
};

// Maps a descr such as '<f4' or '|b1' to an element type and byte order.
void parse_descr(const std::string& d, detail::NpyHeader& h, const std::string& source) {
  PHYSCNN_CHECK(d.find('O') == std::string::npos, IoError, source, ": .npy dtype '", d,
                "' is an object array (Python pickles); refused: loading it could run code");
  PHYSCNN_CHECK(d.size() >= 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '='),
                IoError, source, ": .npy descr '", d,
                "' is not a simple dtype (expected e.g. '<f4', '|u1', '>i8')");
  const std::string code = d.substr(1);
  struct Entry {
    const char* code;
    ElemType type;
  };
  static constexpr Entry kTable[] = {
      {"b1", ElemType::Bool}, {"u1", ElemType::U8},  {"i1", ElemType::I8},  {"u2", ElemType::U16},
      {"i2", ElemType::I16},  {"u4", ElemType::U32}, {"i4", ElemType::I32}, {"u8", ElemType::U64},
      {"i8", ElemType::I64},  {"f4", ElemType::F32}, {"f8", ElemType::F64}};
  for (const auto& e : kTable) {
    if (code == e.code) {
      h.type = e.type;
      const bool native_big = std::endian::native == std::endian::big;
      h.big_endian = d[0] == '>' || (d[0] == '=' && native_big);
      if (d[0] == '|') h.big_endian = native_big;  // one-byte types have no order
      return;
    }
  }
  throw IoError(::physcnn::detail::cat(
      source, ": .npy dtype '", d,
      "' is not supported (supported: bool, uint8/16/32/64, int8/16/32/64, float32, float64)"));
}

bool needs_swap(const detail::NpyHeader& h) {
  return h.big_endian != (std::endian::native == std::endian::big) && elem_size(h.type) > 1;
}

// C-order copy of Fortran-ordered data of `shape` (i.e. the C-order data of the reversed shape,
// with its axes reversed).
std::vector<uint8_t> fortran_to_c(std::span<const uint8_t> src, const Shape& shape, size_t esize) {
  const size_t rank = static_cast<size_t>(shape.rank());
  std::vector<uint8_t> dst(src.size());
  const int64_t n = shape.numel();
  if (n == 0) return dst;
  std::vector<int64_t> fstride(rank), idx(rank, 0);
  int64_t acc = 1;
  for (size_t k = 0; k < rank; ++k) {
    fstride[k] = acc;
    acc *= shape[static_cast<int64_t>(k)];
  }
  int64_t off = 0;  // Fortran offset of idx, kept incrementally
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(dst.data() + static_cast<size_t>(i) * esize,
                src.data() + static_cast<size_t>(off) * esize, esize);
    for (size_t k = rank; k-- > 0;) {  // C-order odometer
      if (++idx[k] < shape[static_cast<int64_t>(k)]) {
        off += fstride[k];
        break;
      }
      off -= fstride[k] * (idx[k] - 1);
      idx[k] = 0;
    }
  }
  return dst;
}

// Fixes byte order and bool bytes of freshly copied data.
void to_native(Array& a, const detail::NpyHeader& h) {
  if (needs_swap(h))
    detail::byteswap_elements(a.bytes.data(), a.bytes.size() / elem_size(a.type),
                              elem_size(a.type));
  if (a.type == ElemType::Bool)
    for (auto& b : a.bytes) b = b != 0;
}

std::string descr_of(ElemType t) {
  const char order = std::endian::native == std::endian::little ? '<' : '>';
  switch (t) {
    case ElemType::Bool:
      return "|b1";
    case ElemType::U8:
      return "|u1";
    case ElemType::I8:
      return "|i1";
    case ElemType::U16:
      return std::string(1, order) + "u2";
    case ElemType::I16:
      return std::string(1, order) + "i2";
    case ElemType::U32:
      return std::string(1, order) + "u4";
    case ElemType::I32:
      return std::string(1, order) + "i4";
    case ElemType::U64:
      return std::string(1, order) + "u8";
    case ElemType::I64:
      return std::string(1, order) + "i8";
    case ElemType::F32:
      return std::string(1, order) + "f4";
    case ElemType::F64:
      return std::string(1, order) + "f8";
  }
  return "";
}

}  // namespace

namespace detail {

NpyHeader parse_npy_header(std::span<const uint8_t> bytes, const std::string& source,
                           std::optional<uint64_t> total_bytes) {
  ByteCursor c(bytes, source);
  auto magic = c.take(8, ".npy magic and version");
  PHYSCNN_CHECK(std::memcmp(magic.data(), kMagic, 6) == 0, IoError, source,
                ": not a .npy file: magic is not \\x93NUMPY");
  const int major = magic[6], minor = magic[7];
  PHYSCNN_CHECK(major >= 1 && major <= 3, IoError, source, ": .npy format version ", major, ".",
                minor, " is not supported (expected 1.0, 2.0 or 3.0)");
  const uint32_t hlen = major == 1 ? c.le16("header length") : c.le32("header length");
  PHYSCNN_CHECK(hlen <= kMaxHeaderLen, IoError, source, ": .npy header length ", hlen,
                " exceeds the limit of ", kMaxHeaderLen);
  auto text = c.take(hlen, "the .npy header");
  // Version 1/2 headers are latin-1, 3 is UTF-8; the keys we accept are ASCII either way.
  std::string_view sv(reinterpret_cast<const char*>(text.data()), text.size());
  NpyHeader h;
  bool have_descr = false, have_order = false, have_shape = false;
  for (auto& [key, v] : DictParser(sv, source).parse()) {
    if (key == "descr" && v.str) {
      parse_descr(*v.str, h, source);
      have_descr = true;
    } else if (key == "fortran_order" && v.boolean) {
      h.fortran_order = *v.boolean;
      have_order = true;
    } else if (key == "shape" && v.tuple) {
      h.shape = Shape(*v.tuple);
      have_shape = true;
    } else {
      throw IoError(::physcnn::detail::cat(source, ": .npy header key '", key,
                                           "' is unknown or has the wrong kind of value"));
    }
  }
  PHYSCNN_CHECK(have_descr && have_order && have_shape, IoError, source, ": .npy header lacks ",
                !have_descr   ? "'descr'"
                : !have_order ? "'fortran_order'"
                              : "'shape'");
  h.data_offset = c.pos();
  h.data_bytes = checked_nbytes(h.shape.dims(), elem_size(h.type), source + " (.npy shape)");
  const uint64_t follow =
      total_bytes ? *total_bytes - std::min<uint64_t>(*total_bytes, c.pos()) : c.remaining();
  PHYSCNN_CHECK(h.data_bytes == follow, IoError, source, ": .npy header declares ",
                elem_name(h.type), " ", h.shape.str(), " = ", h.data_bytes, " data bytes, but ",
                follow, " bytes follow the ", h.data_offset, "-byte header",
                h.data_bytes > follow ? " (truncated)" : "");
  return h;
}

}  // namespace detail

Array parse_npy(std::span<const uint8_t> bytes, const std::string& source) {
  const detail::NpyHeader h = detail::parse_npy_header(bytes, source);
  const auto data = bytes.subspan(h.data_offset, h.data_bytes);
  Array a;
  a.type = h.type;
  a.shape = h.shape;
  if (h.fortran_order && h.shape.rank() > 1) {
    a.bytes = fortran_to_c(data, h.shape, elem_size(h.type));
  } else {
    a.bytes.assign(data.begin(), data.end());
  }
  to_native(a, h);
  return a;
}

Array read_npy(const std::string& path) {
  detail::MappedFile f(path);
  return parse_npy(f.bytes(), path);
}

std::vector<uint8_t> encode_npy(const Array& array) {
  PHYSCNN_CHECK_ARG(
      array.bytes.size() == static_cast<size_t>(array.numel()) * elem_size(array.type),
      "write_npy: array ", elem_name(array.type), " ", array.shape.str(), " holds ",
      array.bytes.size(), " bytes");
  std::string dict = "{'descr': '" + descr_of(array.type) + "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < array.shape.rank(); ++i) {
    if (i) dict += ", ";
    dict += std::to_string(array.shape[i]);
  }
  if (array.shape.rank() == 1) dict += ',';  // Python's one-tuple "(5,)"
  dict += ')';
  dict += ", }";
  // NumPy pads so that magic + length + header is a multiple of 64 and ends in '\n'.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::vector<uint8_t> out(std::begin(kMagic), std::end(kMagic));
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  const uint32_t hlen = static_cast<uint32_t>(dict.size());
  for (int b = 0; b < (v2 ? 4 : 2); ++b) out.push_back(static_cast<uint8_t>(hlen >> (8 * b)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return out;
}

void write_npy(const std::string& path, const Array& array) {
  detail::write_file_atomic(path, encode_npy(array));
}

// --- memory map -------------------------------------------------------------------------------

struct MappedNpy::File {
  explicit File(const std::string& p) : map(p) {}
  detail::MappedFile map;
};

MappedNpy::MappedNpy(const std::string& path) : file_(std::make_unique<File>(path)), path_(path) {
  header_ = detail::parse_npy_header(file_->map.bytes(), path);
  PHYSCNN_CHECK(!header_.fortran_order || header_.shape.rank() <= 1, IoError, path,
                ": MappedNpy needs C order, the file is Fortran-ordered ", header_.shape.str(),
                "; use read_npy, which transposes into C order");
}
MappedNpy::~MappedNpy() = default;
MappedNpy::MappedNpy(MappedNpy&&) noexcept = default;
MappedNpy& MappedNpy::operator=(MappedNpy&&) noexcept = default;

std::span<const uint8_t> MappedNpy::raw() const {
  return file_->map.bytes().subspan(header_.data_offset, header_.data_bytes);
}

void MappedNpy::check_view(ElemType want, size_t align) const {
  PHYSCNN_CHECK_ARG(want == header_.type, "MappedNpy::values: ", path_, " holds ",
                    elem_name(header_.type), ", accessed as ", elem_name(want));
  PHYSCNN_CHECK_ARG(!needs_swap(header_), "MappedNpy::values: ", path_,
                    " is stored in non-native byte order; use read_rows");
  PHYSCNN_CHECK_ARG(header_.data_offset % align == 0, "MappedNpy::values: ", path_,
                    " data starts at offset ", header_.data_offset, ", not aligned to ", align,
                    "; use read_rows");
  PHYSCNN_CHECK_ARG(header_.type != ElemType::Bool, "MappedNpy::values: ", path_,
                    " holds bool, whose bytes are not checked to be 0/1; use read_rows");
}

Array MappedNpy::read_rows(int64_t start, int64_t count) const {
  PHYSCNN_CHECK_ARG(header_.shape.rank() >= 1, "MappedNpy::read_rows: ", path_,
                    " holds a rank-0 array");
  const int64_t rows = header_.shape[0];
  PHYSCNN_CHECK_ARG(start >= 0 && count >= 0 && start <= rows && count <= rows - start,
                    "MappedNpy::read_rows: rows [", start, ", ", start + count, ") of ", path_,
                    " with shape ", header_.shape.str());
  const uint64_t row_bytes = rows == 0 ? 0 : header_.data_bytes / static_cast<uint64_t>(rows);
  Array a;
  a.type = header_.type;
  a.shape = header_.shape;
  a.shape[0] = count;
  auto r =
      raw().subspan(static_cast<size_t>(start) * row_bytes, static_cast<size_t>(count) * row_bytes);
  a.bytes.assign(r.begin(), r.end());
  to_native(a, header_);
  return a;
}

}  // namespace physcnn::data

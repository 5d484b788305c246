// Safetensors reader and writer with full validation of the header against the file.
#include "io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "io/atomic_file.hpp"

namespace physcnn::io {

static_assert(std::endian::native == std::endian::little, "physcnn assumes a little-endian host");

namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

struct DtypeInfo {
  const char* name;
  size_t size;
};

size_t element_size(const std::string& dtype) {
  static const DtypeInfo table[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                    {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  for (const auto& d : table)
    if (dtype == d.name) return d.size;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

template <class S>
void widen(const char* src, size_t n, double* dst) {
  for (size_t i = 0; i < n; ++i) {
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    dst[i] = double(v);
  }
}

Tensor decode(const std::string& dtype, const Shape& shape, const char* src, size_t n) {
  if (dtype == "F32") {
    Tensor t = Tensor::empty(shape, DType::F32);
    std::memcpy(t.data<float>(), src, n * 4);
    return t;
  }
  if (dtype == "F64") {
    Tensor t = Tensor::empty(shape, DType::F64);
    std::memcpy(t.data<double>(), src, n * 8);
    return t;
  }
  if (dtype == "F16" || dtype == "BF16") {
    Tensor t = Tensor::empty(shape, DType::F32);
    float* d = t.data<float>();
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      d[i] = dtype == "F16" ? half_to_float(h) : std::bit_cast<float>(uint32_t(h) << 16);
    }
    return t;
  }
  Tensor t = Tensor::empty(shape, DType::F64);
  double* d = t.data<double>();
  if (dtype == "I64") widen<int64_t>(src, n, d);
  if (dtype == "I32") widen<int32_t>(src, n, d);
  if (dtype == "I16") widen<int16_t>(src, n, d);
  if (dtype == "I8") widen<int8_t>(src, n, d);
  if (dtype == "U8" || dtype == "BOOL") widen<uint8_t>(src, n, d);
  return t;
}

}  // namespace

TensorFile parse_safetensors(const std::string& bytes, const std::string& name) {
  auto fail = [&](const std::string& what) -> IoError {
    return IoError(name + ": not a valid safetensors file: " + what);
  };
  if (bytes.size() < 8) throw fail("only " + std::to_string(bytes.size()) + " bytes");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxHeader || n > bytes.size() - 8)
    throw fail("header length " + std::to_string(n) + " exceeds the file (" +
               std::to_string(bytes.size()) + " bytes) or the 100 MiB limit");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(n));
  } catch (const std::exception& e) {
    throw fail(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw fail("header is not a JSON object");
  const char* data = bytes.data() + 8 + n;
  const uint64_t data_size = bytes.size() - 8 - n;
  TensorFile out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    if (key == "__metadata__") {
      if (!it->is_object()) throw fail("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) throw fail("__metadata__." + m.key() + " is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") ||
        !e.contains("data_offsets") || !e["dtype"].is_string() || !e["shape"].is_array() ||
        !e["data_offsets"].is_array() || e["data_offsets"].size() != 2)
      throw fail("entry '" + key + "' needs dtype, shape and data_offsets [begin, end]");
    const std::string dtype = e["dtype"];
    const size_t es = element_size(dtype);
    if (es == 0) throw fail("entry '" + key + "' has unsupported dtype " + dtype);
    std::vector<int64_t> dims;
    uint64_t count = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned())
        throw fail("entry '" + key + "' has a negative or non-integer extent");
      const uint64_t v = d.get<uint64_t>();
      if (v != 0 && count > std::numeric_limits<uint64_t>::max() / 8 / v)
        throw fail("entry '" + key + "' has a shape whose size overflows");
      count *= v;
      dims.push_back(int64_t(v));
    }
    const auto& offs = e["data_offsets"];
    if (!offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
      throw fail("entry '" + key + "' has invalid data_offsets");
    const uint64_t lo = offs[0], hi = offs[1];
    if (lo > hi || hi > data_size)
      throw fail("entry '" + key + "' data_offsets [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "] lie outside the " + std::to_string(data_size) +
                 "-byte data section");
    if (hi - lo != count * es)
      throw fail("entry '" + key + "' holds " + std::to_string(hi - lo) + " bytes, its shape and " +
                 dtype + " need " + std::to_string(count * es));
    ranges.push_back({lo, hi});
    out.tensors[key] = decode(dtype, Shape(dims), data + lo, size_t(count));
  }
  // The format requires the buffers to tile the data section without gaps or overlaps.
  std::sort(ranges.begin(), ranges.end());
  uint64_t at = 0;
  for (const auto& [lo, hi] : ranges) {
    if (lo != at) throw fail("tensor buffers overlap or leave a gap at byte " + std::to_string(at));
    at = hi;
  }
  if (at != data_size) throw fail("trailing bytes after the last tensor");
  return out;
}

TensorFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open " + path);
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0);
  std::string bytes(size_t(size), '\0');
  in.read(bytes.data(), size);
  if (!in) throw IoError("cannot read " + path);
  return parse_safetensors(bytes, path);
}

namespace {
// BatchNorm's num_batches_tracked is an int64 scalar in PyTorch's state_dict; it is written so.
bool is_count(const std::string& key, const Tensor& t) {
  const std::string name = "num_batches_tracked";
  const bool named = key == name || (key.size() > name.size() && key.ends_with("." + name));
  return named && t.numel() == 1 && t.dim() == 0;
}
}  // namespace

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [key, t] : tensors) {
    PHYSCNN_CHECK_ARG(key != "__metadata__", "tensor name __metadata__ is reserved");
    const uint64_t bytes = is_count(key, t) ? 8 : uint64_t(t.numel()) * dtype_size(t.dtype());
    header[key] = {{"dtype", is_count(key, t)          ? "I64"
                             : t.dtype() == DType::F32 ? "F32"
                                                       : "F64"},
                   {"shape", t.shape().dims()},
                   {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  write_file_atomic(path, [&](std::ostream& out) {
    const uint64_t n = text.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const auto& [key, t0] : tensors) {
      if (is_count(key, t0)) {
        const auto count = static_cast<int64_t>(std::llround(t0.item()));
        out.write(reinterpret_cast<const char*>(&count), 8);
        continue;
      }
      const Tensor t = t0.contiguous();
      PHYSCNN_DISPATCH(t.dtype(), T, {
        out.write(reinterpret_cast<const char*>(t.data<T>()),
                  std::streamsize(t.numel() * sizeof(T)));
      });
    }
  });
}

}  // namespace physcnn::io

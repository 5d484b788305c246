// PNG via stb_image / stb_image_write, compiled here with static linkage so that another library
// embedding stb cannot clash with ours. Dimensions are checked (stbi_info) before decoding.
#include "data/formats/png.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/files.hpp"
#include "data/formats/file_io.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
// stb copies zero-length chunks from a null buffer (memcpy(nullptr, p, 0): undefined behaviour
// that UBSan reports on fuzzed files); route its memcpy through a guard.
static inline void* physcnn_stb_memcpy(void* dst, const void* src, size_t n) {
  return n ? std::memcpy(dst, src, n) : dst;
}
#define memcpy(dst, src, n) physcnn_stb_memcpy(dst, src, n)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
// 2^24 per side is stb's default; we also cap the pixel count below.
#include <stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>
#undef memcpy
#pragma GCC diagnostic pop

namespace physcnn::data {

namespace {
constexpr uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
// 2^28 pixels (16k × 16k) is far beyond any training image and keeps a decode below ~2 GiB.
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

// Copies interleaved HWC samples into planar C×H×W floats, dropping an alpha channel.
template <class S>
void to_chw(const S* px, int w, int h, int stored, int keep, double scale, float* out) {
  const size_t plane = static_cast<size_t>(w) * static_cast<size_t>(h);
  for (int c = 0; c < keep; ++c)
    for (size_t i = 0; i < plane; ++i)
      out[static_cast<size_t>(c) * plane + i] =
          static_cast<float>(px[i * static_cast<size_t>(stored) + static_cast<size_t>(c)] * scale);
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};
// The chunk type for a message: non-printable bytes as '?' (a hostile file may hold any).
std::string printable(std::string s) {
  for (auto& ch : s)
    if (ch < 0x20 || ch > 0x7e) ch = '?';
  return s;
}

// Every chunk (4-byte length, 4-byte type, data, 4-byte CRC) up to IEND must lie inside the file:
// stb_image grows its IDAT buffer to a chunk's declared length before reading it, so an 85-byte
// file whose IDAT claims 2 GiB would otherwise allocate 2 GiB (found by fuzz/png.cpp).
void check_chunks(std::span<const uint8_t> bytes, const std::string& source) {
  detail::ByteCursor c(bytes, source);
  c.seek(8, "PNG signature");
  while (c.remaining() > 0) {
    const size_t at = c.pos();
    const uint32_t len = c.be32("PNG chunk length");
    const auto type = c.take(4, "PNG chunk type");
    const std::string name(type.begin(), type.end());
    PHYSCNN_CHECK(len <= 0x7fffffffu && uint64_t{len} + 4 <= c.remaining(), IoError, source,
                  ": truncated PNG: chunk '", printable(name), "' at offset ", at, " declares ",
                  len, " data bytes, only ", c.remaining() < 4 ? 0 : c.remaining() - 4,
                  " remain before its CRC");
    c.take(uint64_t{len} + 4, "PNG chunk");
    if (name == "IEND") break;
  }
}

}  // namespace

Tensor decode_png(std::span<const uint8_t> bytes, const std::string& source) {
  PHYSCNN_CHECK(bytes.size() >= 8 && std::memcmp(bytes.data(), kPngSig, 8) == 0, IoError, source,
                ": not a PNG file (the 8-byte signature does not match)");
  PHYSCNN_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX), IoError, source, ": ", bytes.size(),
                " bytes is too large for a PNG");
  check_chunks(bytes, source);
  const auto* buf = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, stored = 0;
  PHYSCNN_CHECK(stbi_info_from_memory(buf, len, &w, &h, &stored), IoError, source,
                ": unreadable PNG header (", stbi_failure_reason(), ")");
  PHYSCNN_CHECK(w > 0 && h > 0 && uint64_t(w) * uint64_t(h) <= kMaxPixels, IoError, source,
                ": PNG of ", w, "x", h, " pixels exceeds the limit of ", kMaxPixels, " pixels");
  const int keep = stored >= 3 ? 3 : 1;  // gray(+alpha) → 1, RGB(A) → 3
  const bool sixteen = stbi_is_16_bit_from_memory(buf, len);
  // The pixels come from deflated IDAT chunks: refuse sizes the file cannot hold (1032:1).
  const uint64_t raw = uint64_t(w) * uint64_t(h) * uint64_t(stored) * (sixteen ? 2 : 1);
  PHYSCNN_CHECK(raw <= bytes.size() * detail::kMaxDeflateRatio, IoError, source, ": PNG header ",
                "declares ", w, "x", h, "x", stored, " samples (", raw, " bytes), more than its ",
                bytes.size(), " bytes can hold (deflate expands at most 1032:1)");
  int w2 = 0, h2 = 0, c2 = 0;
  std::unique_ptr<void, StbFree> px(
      sixteen ? static_cast<void*>(stbi_load_16_from_memory(buf, len, &w2, &h2, &c2, 0))
              : static_cast<void*>(stbi_load_from_memory(buf, len, &w2, &h2, &c2, 0)));
  PHYSCNN_CHECK(px, IoError, source, ": corrupt or truncated PNG (", stbi_failure_reason(), ")");
  PHYSCNN_CHECK(w2 == w && h2 == h && c2 == stored, IoError, source,
                ": PNG header and decoded image disagree");
  Tensor t = Tensor::empty({keep, h, w}, DType::F32);
  if (sixteen) {
    to_chw(static_cast<const uint16_t*>(px.get()), w, h, stored, keep, 1.0 / 65535,
           t.data<float>());
  } else {
    to_chw(static_cast<const uint8_t*>(px.get()), w, h, stored, keep, 1.0 / 255, t.data<float>());
  }
  return t;
}

Tensor read_png(const std::string& path) {
  detail::MappedFile f(path);
  return decode_png(f.bytes(), path);
}

namespace {
// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += n;
  }
  return true;
}
}  // namespace

ImageFolder read_image_folder(const std::string& root) {
  namespace fs = std::filesystem;
  require_directory(root, "image folder");
  ImageFolder out;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.starts_with(".")) continue;
    // Class names go into metrics.json, eval.json and the report: a name that is not UTF-8
    // let a run train to the end and then fail to write any of them.
    PHYSCNN_CHECK(valid_utf8(name), IoError, root, ": class folder name '", name,
                  "' is not valid UTF-8 (class names are written to JSON files); rename it");
    out.class_names.push_back(name);
  }
  std::sort(out.class_names.begin(), out.class_names.end());
  PHYSCNN_CHECK(!out.class_names.empty(), IoError, root,
                ": no class folders (expected root/<class>/*.png)");
  for (size_t k = 0; k < out.class_names.size(); ++k) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(fs::path(root) / out.class_names[k])) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (e.is_regular_file() && ext == ".png") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      out.files.push_back(std::move(f));
      out.labels.push_back(static_cast<int64_t>(k));
    }
  }
  PHYSCNN_CHECK(!out.files.empty(), IoError, root, ": no .png files in any of the ",
                out.class_names.size(), " class folders");
  const int64_t n = static_cast<int64_t>(out.files.size());
  Tensor first = read_png(out.files[0]);
  const Shape s = first.shape();
  out.images = Tensor::empty({n, s[0], s[1], s[2]}, DType::F32);
  const size_t per = static_cast<size_t>(s.numel());
  float* dst = out.images.data<float>();
  std::memcpy(dst, first.data<float>(), per * sizeof(float));
  for (int64_t i = 1; i < n; ++i) {
    Tensor img = read_png(out.files[static_cast<size_t>(i)]);
    PHYSCNN_CHECK(img.shape() == s, IoError, root,
                  ": mixed image sizes: ", out.files[static_cast<size_t>(i)], " is ",
                  img.shape().str(), " (C,H,W), but ", out.files[0], " is ", s.str());
    std::memcpy(dst + static_cast<size_t>(i) * per, img.data<float>(), per * sizeof(float));
  }
  return out;
}

std::vector<uint8_t> encode_png(const Tensor& image) {
  PHYSCNN_CHECK_SHAPE(image.defined() && (image.dim() == 2 || image.dim() == 3),
                      "write_png: ", "expected C×H×W or H×W, got ",
                      image.defined() ? image.shape().str() : std::string("undefined"));
  const Tensor t = (image.dim() == 2 ? image.unsqueeze(0) : image).contiguous();
  const int64_t c = t.size(0), h = t.size(1), w = t.size(2);
  PHYSCNN_CHECK_SHAPE(c == 1 || c == 3 || c == 4, "write_png: ", c, " channels (shape ",
                      image.shape().str(), "); expected 1, 3 or 4");
  PHYSCNN_CHECK_SHAPE(h > 0 && w > 0 && uint64_t(h) * uint64_t(w) <= kMaxPixels,
                      "write_png: ", "image ", image.shape().str(), " is empty or too large");
  const std::vector<double> v = t.to_vector();  // CHW
  const size_t plane = static_cast<size_t>(h * w);
  std::vector<uint8_t> hwc(plane * static_cast<size_t>(c));
  for (size_t i = 0; i < plane; ++i)
    for (int64_t k = 0; k < c; ++k) {
      const double x = v[static_cast<size_t>(k) * plane + i];
      const double q = std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0);
      hwc[i * static_cast<size_t>(c) + static_cast<size_t>(k)] =
          static_cast<uint8_t>(std::lround(q * 255));
    }
  std::vector<uint8_t> out;
  auto sink = [](void* ctx, void* data, int size) {
    auto* o = static_cast<std::vector<uint8_t>*>(ctx);
    const auto* p = static_cast<const uint8_t*>(data);
    o->insert(o->end(), p, p + size);
  };
  PHYSCNN_CHECK(stbi_write_png_to_func(sink, &out, static_cast<int>(w), static_cast<int>(h),
                                       static_cast<int>(c), hwc.data(), static_cast<int>(w * c)),
                IoError, "write_png: encoding a ", image.shape().str(), " image failed");
  return out;
}

void write_png(const std::string& path, const Tensor& image) {
  detail::write_file_atomic(path, encode_png(image));
}

}  // namespace physcnn::data

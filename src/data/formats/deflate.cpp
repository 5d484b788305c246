// zlib glue: inflate/deflate with 4 GiB-safe chunking (zlib counts in 32-bit uInt).
#include "data/formats/deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "data/formats/file_io.hpp"

namespace physcnn::data::detail {

namespace {
constexpr size_t kChunk = size_t{1} << 30;  // below uInt's range

uInt clamp_uint(size_t n) {
  return static_cast<uInt>(std::min(n, kChunk));
}

std::string zmsg(const z_stream& z, int rc) {
  return z.msg ? std::string(z.msg) : "zlib error " + std::to_string(rc);
}

// Compresses with a given window (-15 raw deflate, 31 gzip).
std::vector<uint8_t> deflate_with(std::span<const uint8_t> data, int window_bits) {
  z_stream z{};
  PHYSCNN_CHECK(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8,
                             Z_DEFAULT_STRATEGY) == Z_OK,
                IoError, "deflateInit2 failed");
  std::vector<uint8_t> out(deflateBound(&z, static_cast<uLong>(std::min(data.size(), kChunk))) +
                           64);
  size_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() - out_pos < 65536) out.resize(out.size() * 2 + 65536);
    z.next_in = const_cast<Bytef*>(data.data() + in_pos);
    z.avail_in = clamp_uint(data.size() - in_pos);
    z.next_out = out.data() + out_pos;
    z.avail_out = clamp_uint(out.size() - out_pos);
    const uInt in_before = z.avail_in, out_before = z.avail_out;
    const bool last = in_pos + z.avail_in == data.size();
    rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      deflateEnd(&z);
      throw IoError("deflate failed: " + zmsg(z, rc));
    }
    in_pos += in_before - z.avail_in;
    out_pos += out_before - z.avail_out;
  }
  deflateEnd(&z);
  out.resize(out_pos);
  return out;
}
}  // namespace

bool is_gzip(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

struct GzipReader::State {
  z_stream z{};
};

GzipReader::GzipReader(std::span<const uint8_t> compressed, std::string source)
    : z_(std::make_unique<State>()), in_(compressed), source_(std::move(source)) {
  PHYSCNN_CHECK(inflateInit2(&z_->z, 16 + MAX_WBITS) == Z_OK, IoError, source_,
                ": inflateInit2 failed");
  z_->z.next_in = const_cast<Bytef*>(in_.data());
}

GzipReader::~GzipReader() {
  inflateEnd(&z_->z);
}

size_t GzipReader::read(uint8_t* dst, size_t n) {
  z_stream& z = z_->z;
  size_t got = 0;
  while (got < n && !done_) {
    const size_t in_pos = static_cast<size_t>(z.next_in - in_.data());
    z.avail_in = clamp_uint(in_.size() - in_pos);
    z.next_out = dst + got;
    z.avail_out = clamp_uint(n - got);
    const uInt out_before = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    got += out_before - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal (RFC 1952 §2.2); continue when another follows.
      const size_t pos = static_cast<size_t>(z.next_in - in_.data());
      if (pos + 2 <= in_.size() && in_[pos] == 0x1f && in_[pos + 1] == 0x8b) {
        inflateReset(&z);
      } else {
        done_ = true;
      }
    } else if (rc == Z_BUF_ERROR) {  // output has room, so the input ran out
      throw IoError(source_ + ": truncated gzip stream: compressed data ends after " +
                    std::to_string(in_.size()) + " bytes, before the end-of-stream marker");
    } else if (rc != Z_OK) {
      throw IoError(source_ + ": corrupt gzip stream (" + zmsg(z, rc) + ") after " +
                    std::to_string(z.total_out) + " decompressed bytes");
    }
  }
  return got;
}

namespace {
// Ends the inflate state and throws the corruption error with zlib's message.
[[noreturn]] void throw_corrupt(z_stream& z, int rc, const std::string& source, size_t out_pos) {
  const std::string m = zmsg(z, rc);
  inflateEnd(&z);
  throw IoError(source + ": corrupt deflate stream (" + m + ") after " + std::to_string(out_pos) +
                " decompressed bytes");
}
}  // namespace

void check_deflate_ratio(uint64_t compressed, uint64_t size, const std::string& source) {
  PHYSCNN_CHECK(size <= compressed * kMaxDeflateRatio + 1024, IoError, source,
                ": declared uncompressed size ", size, " cannot come from ", compressed,
                " deflated bytes (deflate expands at most 1032:1)");
}

std::vector<uint8_t> inflate_raw(std::span<const uint8_t> compressed, uint64_t size,
                                 const std::string& source) {
  check_deflate_ratio(compressed.size(), size, source);
  std::vector<uint8_t> out(size);
  z_stream z{};
  PHYSCNN_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, IoError, source, ": inflateInit2 failed");
  size_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  // A spare byte of output space lets us notice a stream longer than declared.
  uint8_t spare = 0;
  while (rc != Z_STREAM_END) {
    z.next_in = const_cast<Bytef*>(compressed.data() + in_pos);
    z.avail_in = clamp_uint(compressed.size() - in_pos);
    const bool at_end = out_pos == out.size();
    z.next_out = at_end ? &spare : out.data() + out_pos;
    z.avail_out = at_end ? 1 : clamp_uint(out.size() - out_pos);
    const uInt in_before = z.avail_in, out_before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    in_pos += in_before - z.avail_in;
    const size_t produced = out_before - z.avail_out;
    if (at_end && produced > 0) {
      inflateEnd(&z);
      throw IoError(source + ": deflate stream produces more than the declared " +
                    std::to_string(size) + " bytes");
    }
    out_pos += produced;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR) {  // no progress possible: the input ran out
      inflateEnd(&z);
      throw IoError(source + ": truncated deflate stream: input ends after " +
                    std::to_string(compressed.size()) + " bytes, " + std::to_string(out_pos) +
                    " of " + std::to_string(size) + " bytes decompressed");
    }
    if (rc != Z_OK) throw_corrupt(z, rc, source, out_pos);
  }
  inflateEnd(&z);
  PHYSCNN_CHECK(out_pos == size, IoError, source, ": deflate stream ends after ", out_pos,
                " bytes, expected ", size);
  return out;
}

std::vector<uint8_t> inflate_raw_prefix(std::span<const uint8_t> compressed, size_t max_bytes,
                                        const std::string& source) {
  std::vector<uint8_t> out(max_bytes);
  z_stream z{};
  PHYSCNN_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, IoError, source, ": inflateInit2 failed");
  size_t in_pos = 0, out_pos = 0;
  while (out_pos < out.size()) {
    z.next_in = const_cast<Bytef*>(compressed.data() + in_pos);
    z.avail_in = clamp_uint(compressed.size() - in_pos);
    z.next_out = out.data() + out_pos;
    z.avail_out = clamp_uint(out.size() - out_pos);
    const uInt in_before = z.avail_in, out_before = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    in_pos += in_before - z.avail_in;
    out_pos += out_before - z.avail_out;
    if (rc == Z_STREAM_END || rc == Z_BUF_ERROR) break;  // ended, or the input ran out
    if (rc != Z_OK) throw_corrupt(z, rc, source, out_pos);
  }
  inflateEnd(&z);
  out.resize(out_pos);
  return out;
}

std::vector<uint8_t> deflate_raw(std::span<const uint8_t> data) {
  return deflate_with(data, -MAX_WBITS);
}

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> data) {
  return deflate_with(data, 16 + MAX_WBITS);
}

uint32_t crc32_of(std::span<const uint8_t> data) {
  uLong c = crc32(0L, Z_NULL, 0);
  for (size_t pos = 0; pos < data.size(); pos += kChunk) {
    c = crc32(c, data.data() + pos, clamp_uint(data.size() - pos));
  }
  return static_cast<uint32_t>(c);
}

}  // namespace physcnn::data::detail

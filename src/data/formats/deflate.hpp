// zlib wrappers for the formats: streaming gunzip (gzipped IDX), raw inflate/deflate with known
// sizes (zip entries of .npz) and CRC-32. Corrupt streams become IoError naming the source.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace physcnn::data::detail {

bool is_gzip(std::span<const uint8_t> bytes);  // magic 1f 8b

// Decompresses a gzip file (one or more members) on demand, so a reader can check a header
// before deciding how much to allocate. Data errors and bad CRCs throw IoError.
class GzipReader {
 public:
  GzipReader(std::span<const uint8_t> compressed, std::string source);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;
  // Fills up to n bytes; returns fewer only at the end of the stream.
  size_t read(uint8_t* dst, size_t n);
  size_t compressed_size() const { return in_.size(); }

 private:
  struct State;
  std::unique_ptr<State> z_;
  std::span<const uint8_t> in_;
  std::string source_;
  bool done_ = false;
};

// IoError unless `compressed` deflated bytes can expand to `size` (at most 1032:1, plus slack).
void check_deflate_ratio(uint64_t compressed, uint64_t size, const std::string& source);
// Inflates a raw deflate stream (zip method 8) that must produce exactly `size` bytes.
std::vector<uint8_t> inflate_raw(std::span<const uint8_t> compressed, uint64_t size,
                                 const std::string& source);
// The first `max_bytes` bytes (fewer if the stream ends first) a raw deflate stream produces,
// without inflating the rest: enough to check a header against a declared size.
std::vector<uint8_t> inflate_raw_prefix(std::span<const uint8_t> compressed, size_t max_bytes,
                                        const std::string& source);
// Raw deflate (no zlib/gzip wrapper) at zlib's default level.
std::vector<uint8_t> deflate_raw(std::span<const uint8_t> data);
// A complete single-member gzip file.
std::vector<uint8_t> gzip_compress(std::span<const uint8_t> data);

uint32_t crc32_of(std::span<const uint8_t> data);

}  // namespace physcnn::data::detail

// IDX: the real Fashion-MNIST files, small files written by Python's struct/gzip, round trips,
// and broken files (wrong magic, truncation, headers claiming more than the file holds).
#include <array>
#include <random>

#include "common.hpp"
#include "data/formats/deflate.hpp"
#include "data/formats/idx.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;
using physcnn::test::throws_with;

namespace {

const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

// IDX header bytes: magic 0,0,type,rank and big-endian extents.
std::vector<uint8_t> idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  return b;
}

void check_fashion(const std::string& split, int64_t n, int64_t per_class,
                   const std::vector<int64_t>& first_labels, double mean_pixel) {
  const std::string images_path = kFashion + split + "-images-idx3-ubyte.gz";
  const std::string labels_path = kFashion + split + "-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(images_path) || !std::filesystem::exists(labels_path))
    GTEST_SKIP() << "Fashion-MNIST not installed under " << kFashion;
  Array images = read_idx(images_path);
  EXPECT_EQ(images.type, ElemType::U8);
  EXPECT_EQ(images.shape, (Shape{n, 28, 28}));
  Array labels = read_idx(labels_path);
  EXPECT_EQ(labels.type, ElemType::U8);
  EXPECT_EQ(labels.shape, (Shape{n}));
  std::array<int64_t, 10> counts{};
  for (int64_t l : labels.to_int64()) {
    ASSERT_GE(l, 0);
    ASSERT_LE(l, 9);
    ++counts[static_cast<size_t>(l)];
  }
  for (int64_t c : counts) EXPECT_EQ(c, per_class);
  const auto l = labels.to_int64();
  EXPECT_EQ(std::vector<int64_t>(l.begin(), l.begin() + 10), first_labels);
  uint64_t sum = 0;
  uint8_t lo = 255, hi = 0;
  for (uint8_t p : images.values<uint8_t>()) {
    sum += p;
    lo = std::min(lo, p);
    hi = std::max(hi, p);
  }
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);
  // The dataset's published mean intensity is 0.2860 (train); both splits are near it.
  EXPECT_NEAR(static_cast<double>(sum) / static_cast<double>(images.numel()), mean_pixel, 0.01);
}

}  // namespace

TEST(IdxFashionMnist, Train) {
  check_fashion("train", 60000, 6000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 72.9404);
}

TEST(IdxFashionMnist, Test) {
  check_fashion("t10k", 10000, 1000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 73.1466);
}

TEST(Idx, ReadsFilesWrittenByPython) {
  Array s = read_idx(format_fixture("i2_2x3.idx"));
  EXPECT_EQ(s.type, ElemType::I16);
  EXPECT_EQ(s.shape, (Shape{2, 3}));
  EXPECT_EQ(s.to_int64(), (std::vector<int64_t>{-300, -1, 0, 1, 300, 32767}));
  Array u = read_idx(format_fixture("u8_2x2x2.idx"));
  EXPECT_EQ(u.to_int64(), (std::vector<int64_t>{0, 1, 2, 3, 252, 253, 254, 255}));
  Array d = read_idx(format_fixture("f8_4.idx.gz"));
  EXPECT_EQ(d.type, ElemType::F64);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(d.value_f64(i), (i - 5) * 0.25);
  EXPECT_EQ(read_idx(format_fixture("i4_3.idx.gz")).to_int64(),
            (std::vector<int64_t>{INT32_MIN, 0, INT32_MAX}));
}

TEST(Idx, RoundTripsRawAndGzipped) {
  physcnn::test::ScratchDir dir;
  std::mt19937 gen(11);
  const ElemType types[] = {ElemType::U8,  ElemType::I8,  ElemType::I16,
                            ElemType::I32, ElemType::F32, ElemType::F64};
  const Shape shapes[] = {Shape{},        Shape{3},          Shape{2, 5},
                          Shape{2, 1, 4}, Shape{2, 3, 2, 2}, Shape{0, 3}};
  for (bool gz : {false, true})
    for (ElemType t : types)
      for (const Shape& s : shapes) {
        Array a = Array::zeros(t, s);
        for (auto& b : a.bytes) b = static_cast<uint8_t>(gen());
        write_idx(dir.file("a.idx"), a, {.gzip = gz});
        Array b = read_idx(dir.file("a.idx"));
        EXPECT_EQ(b.type, t);
        EXPECT_EQ(b.shape, s);
        EXPECT_EQ(b.bytes, a.bytes) << elem_name(t) << " " << s << " gzip " << gz;
      }
  EXPECT_TRUE(throws_with<UsageError>(
      [&] { write_idx(dir.file("b.idx"), Array::zeros(ElemType::I64, Shape{2})); }, {"int64"}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.idx"}));
}

TEST(IdxBroken, WrongMagic) {
  auto b = idx_header(0x08, {2});
  b.insert(b.end(), {1, 2});
  auto bad = b;
  bad[0] = 7;
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_idx(bad, "m.idx"); }, {"m.idx", "not an IDX file", "0,0"}));
  bad = b;
  bad[2] = 0x0A;
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_idx(bad, "t.idx"); }, {"t.idx", "0xa", "element type"}));
}

TEST(IdxBroken, HeaderClaimingABillionImagesFailsFast) {
  // 10^9 × 28 × 28 bytes declared in a 100-byte file: refused before any allocation.
  auto b = idx_header(0x08, {1000000000, 28, 28});
  b.resize(100, 0);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(b, "big.idx"); },
                                   {"big.idx", "[1000000000,28,28]", "784000000000", "84 after"}));
  // The same header gzipped: bounded by what 100-odd compressed bytes can expand to.
  auto gz = data::detail::gzip_compress(b);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(gz, "big.idx.gz"); },
                                   {"big.idx.gz", "784000000000", "1032:1"}));
}

TEST(IdxBroken, NegativeAndOverflowingExtents) {
  auto neg = idx_header(0x08, {0x80000000u});
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(neg, "n.idx"); }, {"n.idx", "negative"}));
  auto ovf = idx_header(0x0E, {0x7fffffff, 0x7fffffff, 0x7fffffff});
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(ovf, "o.idx"); }, {"o.idx", "overflows"}));
}

TEST(IdxBroken, TruncatedRawAndGzipped) {
  auto b = idx_header(0x0C, {4});
  b.resize(b.size() + 16, 1);
  auto cut = std::vector<uint8_t>(b.begin(), b.end() - 3);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_idx(cut, "c.idx"); }, {"c.idx", "16 data bytes", "13"}));
  auto dims_cut = std::vector<uint8_t>(b.begin(), b.begin() + 6);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(dims_cut, "d.idx"); },
                                   {"d.idx", "truncated", "extents"}));
  auto gz = data::detail::gzip_compress(b);
  auto gz_cut = std::vector<uint8_t>(gz.begin(), gz.end() - 12);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_idx(gz_cut, "c.idx.gz"); }, {"c.idx.gz", "truncated"}));
  // Decompresses fine but the payload is shorter than the header says.
  auto short_payload = data::detail::gzip_compress(cut);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(short_payload, "s.idx.gz"); },
                                   {"s.idx.gz", "holds 13 data bytes", "16"}));
}

TEST(IdxBroken, CorruptGzip) {
  auto b = idx_header(0x08, {64});
  b.resize(b.size() + 64, 9);
  auto gz = data::detail::gzip_compress(b);
  auto crc = gz;
  crc[crc.size() - 6] ^= 0xff;  // the CRC-32 in the gzip trailer
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_idx(crc, "crc.idx.gz"); }, {"crc.idx.gz", "corrupt gzip"}));
  auto body = gz;
  body[10] = 0xff;  // first deflate block header: reserved block type
  EXPECT_TRUE(throws_with<IoError>([&] { parse_idx(body, "body.idx.gz"); },
                                   {"body.idx.gz", "corrupt gzip"}));
}

// PNG: files written by PIL (8/16-bit gray, RGB, RGBA), round trips through our writer, the
// folder-per-class reader (sorting, labels, mixed sizes), and broken files.
#include <zlib.h>

#include "common.hpp"
#include "data/formats/png.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;
using physcnn::test::throws_with;

namespace {

// A PNG holding only the signature, an IHDR declaring w×h 8-bit gray, and IEND.
std::vector<uint8_t> png_header_only(uint32_t w, uint32_t h) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
    const uint32_t n = static_cast<uint32_t>(data.size());
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(n >> s));
    std::vector<uint8_t> td(type, type + 4);
    td.insert(td.end(), data.begin(), data.end());
    b.insert(b.end(), td.begin(), td.end());
    const uint32_t c = static_cast<uint32_t>(crc32(0, td.data(), static_cast<uInt>(td.size())));
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(c >> s));
  };
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<uint8_t>(v >> s));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  chunk("IHDR", ihdr);
  chunk("IEND", {});
  return b;
}

// C×H×W image with values k/255 (exact after an 8-bit round trip).
Tensor levels(int64_t c, int64_t h, int64_t w, int offset) {
  Tensor t = Tensor::empty({c, h, w}, DType::F32);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = static_cast<float>((i * 37 + offset) % 256) / 255.0f;
  return t;
}

}  // namespace

TEST(Png, ReadsPilGray8) {
  Tensor t = read_png(format_fixture("gray8_3x4.png"));
  EXPECT_EQ(t.shape(), (Shape{1, 3, 4}));
  for (int64_t y = 0; y < 3; ++y)
    for (int64_t x = 0; x < 4; ++x)
      EXPECT_FLOAT_EQ(static_cast<float>(t.at({0, y, x})),
                      static_cast<float>((y * 4 + x) * 20 / 255.0));
}

TEST(Png, ReadsPilRgbAndDropsAlpha) {
  for (const char* f : {"rgb8_2x3.png", "rgba8_2x3.png"}) {
    Tensor t = read_png(format_fixture(f));
    EXPECT_EQ(t.shape(), (Shape{3, 2, 3})) << f;
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 2; ++y)
        for (int64_t x = 0; x < 3; ++x)
          EXPECT_FLOAT_EQ(static_cast<float>(t.at({c, y, x})),
                          static_cast<float>(((y * 3 + x) * 10 + c * 50) / 255.0))
              << f << " " << c << "," << y << "," << x;
  }
}

TEST(Png, ReadsPilGray16) {
  Tensor t = read_png(format_fixture("gray16_2x2.png"));
  EXPECT_EQ(t.shape(), (Shape{1, 2, 2}));
  const double want[] = {0, 1000, 40000, 65535};
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(static_cast<float>(t.at({0, i / 2, i % 2})),
                    static_cast<float>(want[i] / 65535));
}

TEST(Png, RoundTripsGrayAndRgb) {
  physcnn::test::ScratchDir dir;
  for (int64_t c : {1, 3}) {
    Tensor a = levels(c, 5, 7, static_cast<int>(c));
    write_png(dir.file("a.png"), a);
    Tensor b = read_png(dir.file("a.png"));
    EXPECT_EQ(b.shape(), a.shape());
    EXPECT_EQ(b.to_vector(), a.to_vector()) << c << " channels";
  }
  // H×W is written as gray; values outside [0,1] are clamped.
  Tensor hw = Tensor::from_vector(std::vector<float>{-1, 0.5f, 2, 1}, Shape{2, 2});
  write_png(dir.file("a.png"), hw);
  EXPECT_EQ(read_png(dir.file("a.png")).to_vector(), (std::vector<double>{0, 128 / 255.0f, 1, 1}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.png"}));
  EXPECT_TRUE(throws_with<ShapeError>([&] { write_png(dir.file("b.png"), levels(2, 3, 3, 0)); },
                                      {"2 channels", "[2,3,3]"}));
  EXPECT_TRUE(throws_with<ShapeError>(
      [&] {
        write_png(dir.file("b.png"), Tensor::zeros({1, 1, 2, 2}));
      },
      {"[1,1,2,2]"}));
}

TEST(PngFolder, ClassesSortedLabelsAndFiles) {
  physcnn::test::ScratchDir dir;
  namespace fs = std::filesystem;
  for (const char* d : {"b_dog", "a_cat", ".hidden"}) fs::create_directories(dir.path() / d);
  write_png(dir.file("b_dog/y.png"), levels(1, 4, 3, 2));
  write_png(dir.file("b_dog/x.png"), levels(1, 4, 3, 1));
  write_png(dir.file("a_cat/z.png"), levels(1, 4, 3, 0));
  write_png(dir.file(".hidden/q.png"), levels(1, 4, 3, 9));
  physcnn::test::write_bytes(dir.file("a_cat/notes.txt"), {'h', 'i'});
  ImageFolder f = read_image_folder(dir.path().string());
  EXPECT_EQ(f.class_names, (std::vector<std::string>{"a_cat", "b_dog"}));
  EXPECT_EQ(f.labels, (std::vector<int64_t>{0, 1, 1}));
  ASSERT_EQ(f.files.size(), 3u);
  EXPECT_EQ(fs::path(f.files[1]).filename(), "x.png");
  EXPECT_EQ(f.images.shape(), (Shape{3, 1, 4, 3}));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(f.images.select(0, i).contiguous().to_vector(), levels(1, 4, 3, i).to_vector()) << i;
}

TEST(PngFolder, MixedSizesAndEmptyTrees) {
  physcnn::test::ScratchDir dir;
  namespace fs = std::filesystem;
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_image_folder(dir.path().string()); }, {"no class folders"}));
  fs::create_directories(dir.path() / "a");
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_image_folder(dir.path().string()); }, {"no .png files"}));
  write_png(dir.file("a/1.png"), levels(1, 4, 4, 0));
  write_png(dir.file("a/2.png"), levels(3, 4, 4, 0));
  EXPECT_TRUE(throws_with<IoError>([&] { read_image_folder(dir.path().string()); },
                                   {"mixed image sizes", "2.png", "[3,4,4]", "1.png", "[1,4,4]"}));
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_image_folder(dir.file("missing")); }, {"does not exist"}));
  // A PNG file where the folder was expected used to be reported as missing.
  EXPECT_TRUE(throws_with<IoError>([&] { read_image_folder(dir.file("a/1.png")); },
                                   {"image folder", "1.png", "is a file, not a folder"}));
}

// Issue 18, item 6: a class folder whose name is not UTF-8 is refused when the folder is
// opened (a run trained to the end, then wrote no metrics, eval or model: JSON needs UTF-8).
TEST(PngFolder, ClassNamesThatAreNotUtf8AreRefused) {
  physcnn::test::ScratchDir dir;
  namespace fs = std::filesystem;
  for (const char* name : {"caf\xe9", "\xc0\xaf", "ok\xed\xa0\x80"}) {
    fs::remove_all(dir.path());
    fs::create_directories(dir.path() / name);
    write_png((dir.path() / name / "a.png").string(), levels(1, 4, 3, 0));
    EXPECT_TRUE(throws_with<IoError>([&] { read_image_folder(dir.path().string()); },
                                     {"class folder name", "is not valid UTF-8"}));
  }
  fs::remove_all(dir.path());
  fs::create_directories(dir.path() / "caf\xc3\xa9");  // "café" in UTF-8 is fine
  write_png(dir.file("caf\xc3\xa9/a.png"), levels(1, 4, 3, 0));
  EXPECT_EQ(read_image_folder(dir.path().string()).class_names[0], "caf\xc3\xa9");
}

TEST(PngBroken, WrongSignatureTruncatedAndCorrupt) {
  EXPECT_TRUE(throws_with<IoError>([] { read_png(format_fixture("savez.npz")); },
                                   {"savez.npz", "not a PNG"}));
  auto b = physcnn::test::read_bytes(format_fixture("rgb8_2x3.png"));
  auto cut = std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(b.size() / 2));
  EXPECT_TRUE(throws_with<IoError>([&] { decode_png(cut, "cut.png"); }, {"cut.png"}));
  auto header_only = png_header_only(3, 2);
  EXPECT_TRUE(throws_with<IoError>([&] { decode_png(header_only, "h.png"); },
                                   {"h.png", "corrupt or truncated"}));
}

TEST(PngBroken, HugeDeclaredSizeFailsBeforeDecoding) {
  // stb itself refuses more than 2^30 bytes per image in its header scan.
  auto huge = png_header_only(100000, 100000);
  EXPECT_TRUE(throws_with<IoError>([&] { decode_png(huge, "huge.png"); },
                                   {"huge.png", "unreadable PNG header"}));
  auto big = png_header_only(10000, 10000);  // under the pixel limit, but not from 57 bytes
  EXPECT_TRUE(throws_with<IoError>([&] { decode_png(big, "big.png"); }, {"big.png", "1032:1"}));
}

TEST(PngBroken, ChunkLongerThanTheFileIsRefusedBeforeAllocating) {
  // Found by fuzz/png.cpp: 85 bytes whose second IDAT chunk (at offset 72) declares 1.67e9 bytes;
  // stb_image grew its buffer to 2 GiB before noticing that the file ends.
  const std::vector<uint8_t> b = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
      0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x9d,
      0x74, 0x66, 0x1a, 0x00, 0x00, 0x00, 0x1b, 0x49, 0x44, 0x41, 0x54, 0x44, 0x52, 0x00, 0x00,
      0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x9d, 0x74, 0x66, 0x1a,
      0x00, 0x00, 0x00, 0x1b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x00, 0x30, 0x64, 0x63, 0x9c, 0x00,
      0x1b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x64, 0x30};
  EXPECT_TRUE(throws_with<IoError>([&] { decode_png(b, "idat.png"); },
                                   {"idat.png", "truncated PNG", "chunk 'IDAT' at offset 72",
                                    "declares 1671168027 data bytes"}));
}

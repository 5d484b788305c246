// .npz: archives written by np.savez / np.savez_compressed, round trips (stored and deflated),
// and broken archives (bad CRC, corrupt or truncated deflate, lying sizes, not a zip).
#include <chrono>
#include <random>

#include "common.hpp"
#include "data/formats/deflate.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;
using physcnn::test::throws_with;

namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b.at(at + static_cast<size_t>(i)) = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 |
         uint32_t{b[at + 3]} << 24;
}
// Offset of the (only) central directory, read from the EOCD at the end (no comment).
size_t central_offset(const std::vector<uint8_t>& zip) {
  return get32(zip, zip.size() - 22 + 16);
}

// Rewrites a one-entry archive from encode_npz into ZIP64 form: saturated 32-bit fields in the
// central directory with a ZIP64 extra field, then a ZIP64 EOCD record and locator.
std::vector<uint8_t> to_zip64(const std::vector<uint8_t>& zip) {
  const size_t cd = central_offset(zip);
  const uint32_t comp = get32(zip, cd + 20), size = get32(zip, cd + 24), off = get32(zip, cd + 42);
  const size_t name_len = zip[cd + 28] | zip[cd + 29] << 8;
  std::vector<uint8_t> out(zip.begin(), zip.begin() + static_cast<long>(cd));
  std::vector<uint8_t> central(zip.begin() + static_cast<long>(cd),
                               zip.begin() + static_cast<long>(cd + 46 + name_len));
  put32(central, 20, 0xffffffff);
  put32(central, 24, 0xffffffff);
  put32(central, 42, 0xffffffff);
  central[30] = 28;  // extra length: 4 + 3 × 8
  auto add = [](std::vector<uint8_t>& b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  add(central, 1, 2);
  add(central, 24, 2);
  add(central, size, 8);  // order: uncompressed, compressed, offset
  add(central, comp, 8);
  add(central, off, 8);
  const uint64_t cd64 = out.size();
  out.insert(out.end(), central.begin(), central.end());
  const uint64_t eocd64 = out.size();
  add(out, 0x06064b50, 4);
  add(out, 44, 8);
  add(out, 45, 2);
  add(out, 45, 2);
  add(out, 0, 4);
  add(out, 0, 4);
  add(out, 1, 8);
  add(out, 1, 8);
  add(out, central.size(), 8);
  add(out, cd64, 8);
  add(out, 0x07064b50, 4);
  add(out, 0, 4);
  add(out, eocd64, 8);
  add(out, 1, 4);
  add(out, 0x06054b50, 4);
  add(out, 0, 4);
  add(out, 0xffff, 2);
  add(out, 0xffff, 2);
  add(out, 0xffffffff, 4);
  add(out, 0xffffffff, 4);
  add(out, 0, 2);
  return out;
}

Array one_array() {
  std::vector<float> v(256);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 17);
  return Array::from_vector(v, Shape{16, 16});
}

void check_numpy_archive(const std::string& file) {
  NpzReader r(format_fixture(file));
  EXPECT_EQ(r.names(), (std::vector<std::string>{"images", "labels", "spins", "x", "mask"}))
      << file;
  Array images = r.read("images");
  EXPECT_EQ(images.type, ElemType::U8);
  EXPECT_EQ(images.shape, (Shape{2, 3, 3}));
  for (int64_t i = 0; i < 18; ++i)
    EXPECT_EQ(images.values<uint8_t>()[static_cast<size_t>(i)], i * 14);
  EXPECT_EQ(r.read("labels").to_int64(), (std::vector<int64_t>{3, 0, 9, int64_t{1} << 40}));
  Array spins = r.read("spins");
  EXPECT_EQ(spins.type, ElemType::I8);
  for (int64_t i = 0; i < 16; ++i)
    EXPECT_EQ(spins.values<int8_t>()[static_cast<size_t>(i)], (i * 7) % 3 == 0 ? 1 : -1);
  Array x = r.read("x");
  EXPECT_EQ(x.shape, (Shape{2, 3, 4}));
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(x.value_f64(i), (i - 5) * 0.25);
  EXPECT_EQ(r.read("mask").to_int64(), (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
}

}  // namespace

TEST(Npz, ReadsNumpySavez) {
  check_numpy_archive("savez.npz");
}

TEST(Npz, ReadsNumpySavezCompressed) {
  check_numpy_archive("savez_compressed.npz");
  auto all = read_npz(format_fixture("savez_compressed.npz"));
  EXPECT_EQ(all.size(), 5u);
  EXPECT_EQ(all.at("labels").type, ElemType::I64);
}

TEST(Npz, RoundTripsStoredAndDeflated) {
  physcnn::test::ScratchDir dir;
  std::mt19937 gen(3);
  NamedArrays arrays;
  const ElemType types[] = {ElemType::Bool, ElemType::U8,  ElemType::I8,  ElemType::I16,
                            ElemType::I32,  ElemType::I64, ElemType::F32, ElemType::F64};
  const Shape shapes[] = {Shape{}, Shape{7}, Shape{3, 4}, Shape{2, 2, 3}, Shape{1, 2, 3, 2}};
  int k = 0;
  for (ElemType t : types) {
    for (const Shape& s : shapes) {
      Array a = Array::zeros(t, s);
      for (auto& b : a.bytes) b = static_cast<uint8_t>(t == ElemType::Bool ? gen() % 2 : gen() % 4);
      arrays.emplace_back("a" + std::to_string(k++), std::move(a));
    }
  }
  for (bool compress : {false, true}) {
    const std::string p = dir.file(compress ? "c.npz" : "s.npz");
    write_npz(p, arrays, {.compress = compress});
    NpzReader r(p);
    ASSERT_EQ(r.names().size(), arrays.size());
    for (const auto& [name, a] : arrays) {
      const Array b = r.read(name);
      EXPECT_EQ(b.type, a.type) << name;
      EXPECT_EQ(b.shape, a.shape) << name;
      EXPECT_EQ(b.bytes, a.bytes) << name;
    }
  }
  // Small random values compress; the deflated archive must be the smaller one.
  EXPECT_LT(std::filesystem::file_size(dir.file("c.npz")),
            std::filesystem::file_size(dir.file("s.npz")));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"c.npz", "s.npz"}));
}

TEST(Npz, ReadsZip64Directories) {
  for (bool compress : {false, true}) {
    NpzReader r(to_zip64(encode_npz({{"a", one_array()}}, {.compress = compress})), "z64.npz");
    EXPECT_EQ(r.names(), (std::vector<std::string>{"a"}));
    EXPECT_EQ(r.read("a").bytes, one_array().bytes) << compress;
  }
  auto bad = to_zip64(encode_npz({{"a", one_array()}}));
  bad[bad.size() - 22 - 20 + 13] = 0x7f;  // locator points far beyond the file
  EXPECT_TRUE(
      throws_with<IoError>([&] { NpzReader(bad, "z.npz"); }, {"z.npz", "ZIP64 EOCD offset"}));
}

TEST(Npz, WriterRejectsBadNames) {
  NamedArrays dup = {{"a", one_array()}, {"a", one_array()}};
  EXPECT_TRUE(throws_with<UsageError>([&] { encode_npz(dup); }, {"'a'", "twice"}));
  NamedArrays empty = {{"", one_array()}};
  EXPECT_TRUE(throws_with<UsageError>([&] { encode_npz(empty); }, {"non-empty"}));
}

TEST(NpzBroken, MissingEntryListsWhatExists) {
  NpzReader r(format_fixture("savez.npz"));
  EXPECT_FALSE(r.contains("nope"));
  EXPECT_TRUE(
      throws_with<IoError>([&] { r.read("nope"); }, {"savez.npz", "'nope'", "images, labels"}));
}

TEST(NpzBroken, BadCrcIsDetected) {
  auto zip = encode_npz({{"a", one_array()}});
  const size_t npy_size = encode_npy(one_array()).size();
  zip[30 + 5 + npy_size - 1] ^= 0x01;  // last data byte of the stored entry
  NpzReader r(zip, "crc.npz");
  EXPECT_TRUE(
      throws_with<IoError>([&] { r.read("a"); }, {"crc.npz", "'a.npy'", "CRC-32 mismatch"}));
}

TEST(NpzBroken, CorruptDeflateStream) {
  auto zip = encode_npz({{"a", one_array()}}, {.compress = true});
  zip[30 + 5] = 0xff;  // BFINAL=1, BTYPE=11: a reserved block type
  NpzReader r(zip, "bad.npz");
  EXPECT_TRUE(throws_with<IoError>([&] { r.read("a"); }, {"bad.npz", "corrupt deflate stream"}));
}

TEST(NpzBroken, TruncatedDeflateStream) {
  auto zip = encode_npz({{"a", one_array()}}, {.compress = true});
  const size_t cd = central_offset(zip);
  put32(zip, cd + 20, get32(zip, cd + 20) / 2);  // central compressed size halved
  NpzReader r(zip, "cut.npz");
  EXPECT_TRUE(throws_with<IoError>([&] { r.read("a"); }, {"cut.npz", "truncated deflate stream"}));
}

TEST(NpzBroken, DeclaredSizesBeyondTheArchive) {
  auto zip = encode_npz({{"a", one_array()}}, {.compress = true});
  const size_t cd = central_offset(zip);
  auto lie = zip;
  put32(lie, cd + 24, 0x7fffffff);  // uncompressed size: 2 GiB from a few hundred bytes
  NpzReader r(lie, "bomb.npz");
  EXPECT_TRUE(throws_with<IoError>([&] { r.read("a"); }, {"bomb.npz", "2147483647", "1032:1"}));
  lie = zip;
  put32(lie, cd + 20, 0x7fffffff);  // compressed size past the end of the file
  NpzReader r2(lie, "long.npz");
  EXPECT_TRUE(throws_with<IoError>([&] { r2.read("a"); }, {"long.npz", "truncated", "2147483647"}));
  lie = zip;
  put32(lie, cd + 42, 0x7ffffff0);  // local header offset
  NpzReader r3(lie, "off.npz");
  EXPECT_TRUE(throws_with<IoError>([&] { r3.read("a"); }, {"off.npz", "local header offset"}));
  lie = zip;
  lie[lie.size() - 22 + 8] = 0x60;  // EOCD claims 24672 entries (on this disk and in total)
  lie[lie.size() - 22 + 10] = 0x60;
  EXPECT_TRUE(
      throws_with<IoError>([&] { NpzReader(lie, "n.npz"); }, {"n.npz", "entries cannot fit"}));
}

TEST(NpzBroken, NotAZipOrTruncated) {
  std::vector<uint8_t> junk(100, 0x42);
  EXPECT_TRUE(throws_with<IoError>([&] { NpzReader(junk, "j.npz"); },
                                   {"j.npz", "end-of-central-directory"}));
  auto zip = encode_npz({{"a", one_array()}});
  zip.resize(zip.size() - 10);
  EXPECT_TRUE(throws_with<IoError>([&] { NpzReader(zip, "t.npz"); }, {"t.npz", "truncated"}));
  EXPECT_TRUE(throws_with<IoError>([] { NpzReader(format_fixture("f4_2x3x4.npy")); },
                                   {"f4_2x3x4.npy", "not a zip"}));
}

TEST(NpzBroken, UnsupportedMethodAndEncryption) {
  auto zip = encode_npz({{"a", one_array()}});
  const size_t cd = central_offset(zip);
  auto m = zip;
  m[cd + 10] = 12;  // bzip2
  EXPECT_TRUE(throws_with<IoError>([&] { NpzReader(m, "m.npz").read("a"); }, {"method 12"}));
  auto e = zip;
  e[cd + 8] |= 1;
  EXPECT_TRUE(throws_with<IoError>([&] { NpzReader(e, "e.npz").read("a"); }, {"encrypted"}));
}

// An entry whose zip directory honestly declares 64 MiB (the deflate stream does produce them)
// but whose own .npy header says 8 KiB follow: refused from the header, before the 64 MiB are
// inflated (a 1 GiB entry took that much memory before the error).
TEST(NpzBroken, EntryLargerThanItsNpyHeaderIsRefusedBeforeInflating) {
  const auto zip = encode_npz({{"a", one_array()}}, {.compress = true});
  const size_t cd = central_offset(zip);
  const uint32_t old_comp = get32(zip, cd + 20);
  const size_t name_len = zip[26] | zip[27] << 8, extra_len = zip[28] | zip[29] << 8;
  const size_t data_at = 30 + name_len + extra_len;
  std::vector<uint8_t> npy = encode_npy(Array::zeros(ElemType::F32, Shape{2048}));
  npy.resize(size_t{64} << 20, 0);
  const auto deflated = data::detail::deflate_raw(npy);
  const uint32_t crc = data::detail::crc32_of(npy);
  std::vector<uint8_t> lie(zip.begin(), zip.begin() + static_cast<long>(data_at));
  lie.insert(lie.end(), deflated.begin(), deflated.end());
  const size_t new_cd = lie.size();
  lie.insert(lie.end(), zip.begin() + static_cast<long>(data_at + old_comp), zip.end());
  for (size_t at : {size_t{14}, new_cd + 16}) {  // crc, compressed and uncompressed sizes
    put32(lie, at, crc);
    put32(lie, at + 4, static_cast<uint32_t>(deflated.size()));
    put32(lie, at + 8, static_cast<uint32_t>(npy.size()));
  }
  put32(lie, lie.size() - 22 + 16, static_cast<uint32_t>(new_cd));
  NpzReader r(lie, "honest.npz");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(throws_with<IoError>([&] { r.read("a"); },
                                   {"honest.npz", "zip size 67108864", "8192 data bytes"}));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.05);
}

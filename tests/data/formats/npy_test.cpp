// .npy: files written by NumPy (every dtype, both byte orders, Fortran order, versions 1-3),
// round trips of every dtype at ranks 0-4, the memory map, and malformed headers.
#include <random>

#include "common.hpp"
#include "data/formats/npy.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;
using physcnn::test::throws_with;

namespace {

// A v1.0 .npy file with the given header dict (padded like NumPy) and data bytes.
std::vector<uint8_t> make_npy(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string h = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  h.append((64 - (prefix + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    b.push_back(static_cast<uint8_t>(h.size() >> (8 * i)));
  b.insert(b.end(), h.begin(), h.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

// Random bytes for any element type (bool as 0/1): the round trip must preserve every bit.
Array random_array(ElemType t, const Shape& s, std::mt19937& gen) {
  Array a = Array::zeros(t, s);
  for (auto& b : a.bytes) b = static_cast<uint8_t>(t == ElemType::Bool ? gen() % 2 : gen());
  return a;
}

const ElemType kAllTypes[] = {ElemType::Bool, ElemType::U8,  ElemType::I8,  ElemType::U16,
                              ElemType::I16,  ElemType::U32, ElemType::I32, ElemType::U64,
                              ElemType::I64,  ElemType::F32, ElemType::F64};
const Shape kShapes[] = {Shape{},        Shape{5},          Shape{2, 3},
                         Shape{2, 1, 3}, Shape{2, 3, 1, 2}, Shape{0, 4}};

double ramp(int64_t i) {
  return (static_cast<double>(i) - 5) * 0.25;
}

}  // namespace

TEST(Npy, ReadsNumpyFloat32) {
  Array a = read_npy(format_fixture("f4_2x3x4.npy"));
  EXPECT_EQ(a.type, ElemType::F32);
  EXPECT_EQ(a.shape, (Shape{2, 3, 4}));
  auto v = a.values<float>();
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], ramp(i)) << i;
  Tensor t = a.to_tensor();
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.at({1, 2, 3}), ramp(23));
}

TEST(Npy, ReadsBigEndianIntoNativeOrder) {
  Array d = read_npy(format_fixture("f8_be_2x3.npy"));
  EXPECT_EQ(d.type, ElemType::F64);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(d.values<double>()[static_cast<size_t>(i)], ramp(i));
  Array n = read_npy(format_fixture("i4_be_5.npy"));
  EXPECT_EQ(n.type, ElemType::I32);
  for (int64_t i = 0; i < 5; ++i)
    EXPECT_EQ(n.values<int32_t>()[static_cast<size_t>(i)], i * 1000003 - 7);
  Array u = read_npy(format_fixture("u2_be_3.npy"));
  EXPECT_EQ(u.to_int64(), (std::vector<int64_t>{0, 1, 65535}));
}

TEST(Npy, IntegersSurviveExactly) {
  Array a = read_npy(format_fixture("i8_extremes.npy"));
  EXPECT_EQ(a.type, ElemType::I64);
  EXPECT_EQ(a.to_int64(),
            (std::vector<int64_t>{INT64_MIN, -1, 0, (int64_t{1} << 53) + 1, INT64_MAX}));
  Array s = read_npy(format_fixture("i1_spins_4x4.npy"));
  EXPECT_EQ(s.type, ElemType::I8);
  for (int64_t i = 0; i < 16; ++i)
    EXPECT_EQ(s.values<int8_t>()[static_cast<size_t>(i)], (i * 7) % 3 == 0 ? 1 : -1);
  EXPECT_EQ(read_npy(format_fixture("i2_4.npy")).to_int64(),
            (std::vector<int64_t>{-32768, -1, 0, 32767}));
  Array u = read_npy(format_fixture("u8_3x3.npy"));
  EXPECT_EQ(u.shape, (Shape{3, 3}));
  for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(u.values<uint8_t>()[static_cast<size_t>(i)], i * 28);
}

TEST(Npy, ReadsBoolScalarEmptyAndVersions) {
  Array b = read_npy(format_fixture("bool_2x3.npy"));
  EXPECT_EQ(b.type, ElemType::Bool);
  EXPECT_EQ(b.to_int64(), (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
  Array s = read_npy(format_fixture("scalar_f8.npy"));
  EXPECT_EQ(s.shape.rank(), 0);
  EXPECT_EQ(s.value_f64(0), 3.25);
  Array e = read_npy(format_fixture("empty_f4_0x3.npy"));
  EXPECT_EQ(e.shape, (Shape{0, 3}));
  EXPECT_TRUE(e.bytes.empty());
  for (const char* f : {"v2_f4.npy", "v3_f4.npy"}) {
    Array v = read_npy(format_fixture(f));
    EXPECT_EQ(v.shape, (Shape{3, 2})) << f;
    for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(v.value_f64(i), ramp(i)) << f;
  }
}

TEST(Npy, FortranOrderIsTransposedIntoCOrder) {
  Array a = read_npy(format_fixture("fortran_f8_2x3x4.npy"));
  EXPECT_EQ(a.shape, (Shape{2, 3, 4}));
  // NumPy's logical values are arange(24) * 1.5 in C order, whatever the memory layout.
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(a.values<double>()[static_cast<size_t>(i)], 1.5 * i);
  Array b = read_npy(format_fixture("fortran_i2_3x2.npy"));
  EXPECT_EQ(b.to_int64(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Npy, RoundTripsEveryDtypeAtRanks0To4) {
  physcnn::test::ScratchDir dir;
  std::mt19937 gen(7);
  for (ElemType t : kAllTypes) {
    for (const Shape& s : kShapes) {
      const Array a = random_array(t, s, gen);
      const std::string p = dir.file("a.npy");
      write_npy(p, a);
      const Array b = read_npy(p);
      EXPECT_EQ(b.type, t) << elem_name(t) << " " << s;
      EXPECT_EQ(b.shape, s) << elem_name(t) << " " << s;
      EXPECT_EQ(b.bytes, a.bytes) << elem_name(t) << " " << s;
    }
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.npy"}));  // no temp files left behind
}

TEST(Npy, WrittenHeaderIsAlignedLikeNumpy) {
  const auto b = encode_npy(Array::from_vector(std::vector<float>{1, 2, 3}, Shape{3}));
  const size_t hlen = b[8] | b[9] << 8;
  EXPECT_EQ((10 + hlen) % 64, 0u);
  const std::string header(b.begin() + 10, b.begin() + 10 + static_cast<long>(hlen));
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (3,)"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
}

TEST(Npy, TensorConversionKeepsValues) {
  Tensor t = Tensor::from_vector(std::vector<double>{1.5, -2, 3, 4, 5, 6}, Shape{2, 3});
  Array a = Array::from_tensor(t.transpose(0, 1));  // a non-contiguous view
  EXPECT_EQ(a.type, ElemType::F64);
  EXPECT_EQ(a.shape, (Shape{3, 2}));
  EXPECT_EQ(a.to_tensor(DType::F64).to_vector(), (std::vector<double>{1.5, 4, -2, 5, 3, 6}));
  EXPECT_TRUE(throws_with<UsageError>([&] { a.values<float>(); }, {"float64", "float32"}));
  EXPECT_TRUE(throws_with<UsageError>([&] { a.to_int64(); }, {"1.5", "not an integer"}));
}

TEST(NpyMapped, ViewsAndRowsMatchTheFile) {
  physcnn::test::ScratchDir dir;
  std::vector<float> v(1000 * 16);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f;
  write_npy(dir.file("big.npy"), Array::from_vector(v, Shape{1000, 16}));
  MappedNpy m(dir.file("big.npy"));
  EXPECT_EQ(m.shape(), (Shape{1000, 16}));
  auto view = m.values<float>();
  ASSERT_EQ(view.size(), v.size());
  EXPECT_TRUE(std::equal(view.begin(), view.end(), v.begin()));
  Array rows = m.read_rows(10, 3);
  EXPECT_EQ(rows.shape, (Shape{3, 16}));
  EXPECT_EQ(rows.values<float>()[0], 160 * 0.5f);
  EXPECT_TRUE(throws_with<UsageError>([&] { m.read_rows(999, 2); }, {"999", "1001", "[1000,16]"}));
  EXPECT_TRUE(throws_with<UsageError>([&] { m.values<double>(); }, {"float32", "float64"}));
}

TEST(NpyMapped, BigEndianNeedsReadRowsAndFortranIsRefused) {
  MappedNpy be(format_fixture("f8_be_2x3.npy"));
  EXPECT_TRUE(throws_with<UsageError>([&] { be.values<double>(); }, {"byte order", "read_rows"}));
  Array r = be.read_rows(1, 1);
  EXPECT_EQ(r.shape, (Shape{1, 3}));
  EXPECT_EQ(r.values<double>()[2], ramp(5));
  EXPECT_TRUE(throws_with<IoError>([] { MappedNpy m(format_fixture("fortran_f8_2x3x4.npy")); },
                                   {"Fortran", "read_npy"}));
}

// --- malformed files -------------------------------------------------------------------------

TEST(NpyBroken, RefusesObjectArraysWithoutUnpickling) {
  EXPECT_TRUE(throws_with<IoError>([] { read_npy(format_fixture("object.npy")); },
                                   {"object.npy", "'|O'", "pickle"}));
}

TEST(NpyBroken, RefusesUnsupportedDtypes) {
  EXPECT_TRUE(throws_with<IoError>([] { read_npy(format_fixture("unicode.npy")); },
                                   {"unicode.npy", "<U2", "not supported"}));
  EXPECT_TRUE(
      throws_with<IoError>([] { read_npy(format_fixture("f2.npy")); }, {"'<f2'", "not supported"}));
  auto structured =
      make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(structured, "s.npy"); }, {"s.npy", "structured"}));
}

TEST(NpyBroken, WrongMagicAndVersion) {
  auto b = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  auto bad = b;
  bad[1] = 'X';
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(bad, "m.npy"); }, {"m.npy", "magic"}));
  bad = b;
  bad[6] = 4;
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(bad, "v.npy"); }, {"version 4.0", "1.0, 2.0 or 3.0"}));
  EXPECT_TRUE(throws_with<IoError>(
      [&] {
        parse_npy(std::vector<uint8_t>{0x93, 'N'}, "t.npy");
      },
      {"t.npy", "truncated", "magic"}));
}

TEST(NpyBroken, HeaderClaimingMoreThanTheFileFailsBeforeAllocating) {
  // 10^9 × 1000 doubles = 8 TB: must fail on the size check, not on an allocation.
  auto b = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000), }", 16);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(b, "huge.npy"); }, {"huge.npy", "limit"}));
  auto c = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }", 16);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(c, "big.npy"); },
                           {"big.npy", "8000000 data bytes", "16 bytes follow", "truncated"}));
  auto d = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(d, "long.npy"); }, {"8 data bytes", "12 bytes"}));
}

TEST(NpyBroken, OverflowingAndNegativeExtents) {
  auto o = make_npy(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
      0);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(o, "o.npy"); }, {"o.npy", "overflows"}));
  auto big =
      make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(big, "b.npy"); }, {"fits int64"}));
  auto neg = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }", 0);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(neg, "n.npy"); }, {"n.npy", "non-negative"}));
}

TEST(NpyBroken, MalformedHeaderDicts) {
  auto missing = make_npy("{'descr': '<f4', 'shape': (2,), }", 8);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(missing, "k.npy"); }, {"lacks", "fortran_order"}));
  auto unknown = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", 8);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(unknown, "u.npy"); }, {"u.npy", "character"}));
  auto code = make_npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,), }", 8);
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(code, "c.npy"); }, {"c.npy", "bad .npy header"}));
  auto unterminated = make_npy("{'descr': '<f4", 8);
  EXPECT_TRUE(throws_with<IoError>([&] { parse_npy(unterminated, "q.npy"); }, {"closing quote"}));
  // Header length field pointing past the end of the file.
  auto b = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 0);
  b[8] = 0xff;
  b[9] = 0xff;
  EXPECT_TRUE(
      throws_with<IoError>([&] { parse_npy(b, "h.npy"); }, {"h.npy", "truncated", "header"}));
}

TEST(NpyBroken, MissingFile) {
  EXPECT_TRUE(throws_with<IoError>([] { read_npy("/nonexistent/x.npy"); },
                                   {"/nonexistent/x.npy", "cannot open"}));
}

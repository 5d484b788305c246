// HDF5: a file written by h5py (nested groups, gzip chunks, bool enum, big-endian floats),
// round trips through our writer, appending, and errors naming the file and dataset path.
#include <random>

#include "common.hpp"
#include "data/formats/hdf5.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;
using physcnn::test::throws_with;

TEST(Hdf5, ListsDatasetsOfAnH5pyFile) {
  EXPECT_EQ(list_hdf5_datasets(format_fixture("h5py.h5")),
            (std::vector<std::string>{"/flags", "/group/labels", "/group/sub/spins", "/images",
                                      "/names", "/scalar", "/x_be"}));
}

TEST(Hdf5, ReadsH5pyDatasets) {
  const std::string f = format_fixture("h5py.h5");
  Array images = read_hdf5(f, "/images");
  EXPECT_EQ(images.type, ElemType::U8);
  EXPECT_EQ(images.shape, (Shape{2, 3, 3}));
  for (int64_t i = 0; i < 18; ++i)
    EXPECT_EQ(images.values<uint8_t>()[static_cast<size_t>(i)], i * 14);
  EXPECT_EQ(read_hdf5(f, "group/labels").to_int64(),
            (std::vector<int64_t>{3, 0, 9, int64_t{1} << 40}));
  Array spins = read_hdf5(f, "/group/sub/spins");  // gzip-compressed, chunked
  EXPECT_EQ(spins.type, ElemType::I8);
  EXPECT_EQ(spins.shape, (Shape{4, 4}));
  for (int64_t i = 0; i < 16; ++i)
    EXPECT_EQ(spins.values<int8_t>()[static_cast<size_t>(i)], (i * 7) % 3 == 0 ? 1 : -1);
  Array flags = read_hdf5(f, "/flags");
  EXPECT_EQ(flags.type, ElemType::Bool);
  EXPECT_EQ(flags.to_int64(), (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
  Array x = read_hdf5(f, "/x_be");  // stored big-endian, read into native order
  EXPECT_EQ(x.type, ElemType::F32);
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(x.value_f64(i), (i - 5) * 0.25);
  Array s = read_hdf5(f, "/scalar");
  EXPECT_EQ(s.shape.rank(), 0);
  EXPECT_EQ(s.value_f64(0), 3.25);
}

TEST(Hdf5, RoundTripsEveryTypeWithAndWithoutCompression) {
  physcnn::test::ScratchDir dir;
  std::mt19937 gen(5);
  const ElemType types[] = {ElemType::Bool, ElemType::U8,  ElemType::I8,  ElemType::U16,
                            ElemType::I16,  ElemType::U32, ElemType::I32, ElemType::U64,
                            ElemType::I64,  ElemType::F32, ElemType::F64};
  const Shape shapes[] = {Shape{},        Shape{6},          Shape{3, 4},
                          Shape{2, 3, 2}, Shape{2, 1, 3, 2}, Shape{0, 5}};
  std::vector<std::pair<std::string, Array>> sets;
  for (ElemType t : types)
    for (size_t k = 0; k < std::size(shapes); ++k) {
      Array a = Array::zeros(t, shapes[k]);
      for (auto& b : a.bytes) b = static_cast<uint8_t>(t == ElemType::Bool ? gen() % 2 : gen());
      sets.emplace_back("/" + std::string(elem_name(t)) + "/r" + std::to_string(k), std::move(a));
    }
  for (int level : {0, 6}) {
    const std::string p = dir.file("rt" + std::to_string(level) + ".h5");
    write_hdf5(p, sets, {.compression = level});
    EXPECT_EQ(list_hdf5_datasets(p).size(), sets.size());
    for (const auto& [name, a] : sets) {
      Array b = read_hdf5(p, name);
      EXPECT_EQ(b.type, a.type) << name;
      EXPECT_EQ(b.shape, a.shape) << name;
      EXPECT_EQ(b.bytes, a.bytes) << name << " level " << level;
    }
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"rt0.h5", "rt6.h5"}));
}

TEST(Hdf5, AppendKeepsOtherDatasetsAndOverwriteIsExplicit) {
  physcnn::test::ScratchDir dir;
  const std::string p = dir.file("ising.h5");
  const Array a = Array::from_vector(std::vector<int8_t>{1, -1, -1, 1}, Shape{1, 2, 2});
  const Array t = Array::from_vector(std::vector<double>{2.269}, Shape{1});
  write_hdf5(p, "/L2/spins", a);
  write_hdf5(p, "/L2/temperature", t, {.append = true});
  EXPECT_EQ(list_hdf5_datasets(p), (std::vector<std::string>{"/L2/spins", "/L2/temperature"}));
  EXPECT_TRUE(throws_with<UsageError>([&] { write_hdf5(p, "/L2/spins", a, {.append = true}); },
                                      {"ising.h5:/L2/spins", "already exists"}));
  const Array b = Array::from_vector(std::vector<int8_t>{-1, -1, -1, -1}, Shape{1, 2, 2});
  write_hdf5(p, "/L2/spins", b, {.append = true, .overwrite_dataset = true});
  EXPECT_EQ(read_hdf5(p, "/L2/spins").to_int64(), (std::vector<int64_t>{-1, -1, -1, -1}));
  EXPECT_EQ(read_hdf5(p, "/L2/temperature").value_f64(0), 2.269);
  // Without append the file is replaced.
  write_hdf5(p, "/only", t);
  EXPECT_EQ(list_hdf5_datasets(p), (std::vector<std::string>{"/only"}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"ising.h5"}));
}

TEST(Hdf5Broken, MissingDatasetNamesFileAndPath) {
  const std::string f = format_fixture("h5py.h5");
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(f, "/group/nothing"); },
                                   {"h5py.h5:/group/nothing", "no such dataset", "/group/labels"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(f, "/nogroup/x/y"); },
                                   {"/nogroup/x/y", "no such dataset"}));
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_hdf5(f, "/group"); }, {"h5py.h5:/group", "not a dataset"}));
}

TEST(Hdf5Broken, UnsupportedTypeNotHdf5AndMissingFile) {
  const std::string f = format_fixture("h5py.h5");
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_hdf5(f, "/names"); }, {"h5py.h5:/names", "not supported"}));
  EXPECT_TRUE(throws_with<IoError>([] { read_hdf5(format_fixture("savez.npz"), "/x"); },
                                   {"savez.npz", "not an HDF5 file"}));
  EXPECT_TRUE(
      throws_with<IoError>([] { read_hdf5("/nonexistent/a.h5", "/x"); }, {"/nonexistent/a.h5"}));
}

TEST(Hdf5Broken, TruncatedFile) {
  physcnn::test::ScratchDir dir;
  auto bytes = physcnn::test::read_bytes(format_fixture("h5py.h5"));
  bytes.resize(bytes.size() / 2);
  physcnn::test::write_bytes(dir.file("cut.h5"), bytes);
  // HDF5 notices the end-of-file address beyond the real size when opening.
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(dir.file("cut.h5"), "/images"); }, {"cut.h5"}));
}

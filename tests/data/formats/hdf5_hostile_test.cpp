// HDF5 files that point at other files: external raw-data storage (absolute and relative paths),
// external links (to a dataset or to a group on the path) and virtual datasets. Reading one must
// fail with an error naming the file, the dataset and what it points at, and never return the
// other file's bytes (a hostile .h5 would otherwise read any local file into a run's samples).
#include <hdf5.h>

#include <algorithm>
#include <cstring>

#include "common.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/hdf5_header.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::throws_with;

namespace {

// The 16 bytes of four float32 values 1, 2, 3, 4: what a read through the pointer would return.
std::vector<uint8_t> secret_bytes() {
  const float v[4] = {1, 2, 3, 4};
  std::vector<uint8_t> b(sizeof v);
  std::memcpy(b.data(), v, sizeof v);
  return b;
}

// Writes a float32 [4] dataset at `name` in a new file, with `dcpl` as its creation properties.
void write_dataset(const std::string& file, const char* name, hid_t dcpl, const float* data) {
  const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t dims[1] = {4};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t ds = H5Dcreate2(f, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(ds, 0);
  if (data) H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  H5Sclose(space);
  H5Fclose(f);
}

void write_external_storage(const std::string& file, const std::string& target) {
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  ASSERT_GE(H5Pset_external(dcpl, target.c_str(), 0, 16), 0);
  write_dataset(file, "/x", dcpl, nullptr);
  H5Pclose(dcpl);
}

}  // namespace

TEST(Hdf5Hostile, ExternalStorageIsRefusedAbsoluteAndRelative) {
  physcnn::test::ScratchDir dir;
  physcnn::test::write_bytes(dir.file("secret.bin"), secret_bytes());
  write_external_storage(dir.file("abs.h5"), dir.file("secret.bin"));
  EXPECT_TRUE(throws_with<IoError>(
      [&] { read_hdf5(dir.file("abs.h5"), "/x"); },
      {"abs.h5:/x", "external storage", "secret.bin", "only data stored in the HDF5 file itself"}));
  // HDF5 resolves a relative name against the working directory (or a prefix): refused alike.
  write_external_storage(dir.file("rel.h5"), "secret.bin");
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(dir.file("rel.h5"), "/x"); },
                                   {"rel.h5:/x", "external storage", "secret.bin"}));
}

TEST(Hdf5Hostile, ExternalLinksAreNotFollowed) {
  physcnn::test::ScratchDir dir;
  const float v[4] = {1, 2, 3, 4};
  write_dataset(dir.file("other.h5"), "/data", H5P_DEFAULT, v);
  {
    const hid_t f =
        H5Fcreate(dir.file("links.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Lcreate_external(dir.file("other.h5").c_str(), "/data", f, "/x", H5P_DEFAULT,
                                 H5P_DEFAULT),
              0);
    ASSERT_GE(
        H5Lcreate_external(dir.file("other.h5").c_str(), "/", f, "/g", H5P_DEFAULT, H5P_DEFAULT),
        0);
    H5Fclose(f);
  }
  // The link itself, and a link on the way to the dataset (a group in the other file).
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(dir.file("links.h5"), "/x"); },
                                   {"links.h5:/x", "external link", "other.h5"}));
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(dir.file("links.h5"), "/g/data"); },
                                   {"links.h5:/g/data", "external link", "other.h5"}));
  // Listing names only the file's own datasets (none here).
  EXPECT_TRUE(list_hdf5_datasets(dir.file("links.h5")).empty());
  // The file linked to reads as usual.
  EXPECT_EQ(read_hdf5(dir.file("other.h5"), "/data").bytes, secret_bytes());
}

TEST(Hdf5Hostile, VirtualDatasetsAreRefused) {
  physcnn::test::ScratchDir dir;
  const float v[4] = {1, 2, 3, 4};
  write_dataset(dir.file("source.h5"), "/data", H5P_DEFAULT, v);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t dims[1] = {4};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  ASSERT_GE(H5Pset_virtual(dcpl, space, dir.file("source.h5").c_str(), "/data", space), 0);
  write_dataset(dir.file("virtual.h5"), "/x", dcpl, nullptr);
  H5Sclose(space);
  H5Pclose(dcpl);
  EXPECT_TRUE(throws_with<IoError>([&] { read_hdf5(dir.file("virtual.h5"), "/x"); },
                                   {"virtual.h5:/x", "virtual dataset"}));
}

TEST(Hdf5Corrupt, ChunkThatInflatesShortIsRefused) {
  // Found by fuzz/hdf5.cpp: h5py.h5 with the chunk shape of /group/sub/spins changed to [258, 4]
  // (1,032 bytes) while its one gzip chunk inflates to 8. HDF5 1.10 copied 1,032 bytes out of
  // the 8-byte buffer (a heap over-read under ASan); the chunk is now checked first.
  const std::string p = physcnn::test::format_fixture("fuzz_short_chunk.h5");
  EXPECT_TRUE(throws_with<IoError>(
      [&] { read_hdf5(p, "/group/sub/spins"); },
      {p, "/group/sub/spins", "chunk 0 decompresses to 8 bytes", "needs 1032"}));
  // The file's other datasets still read.
  EXPECT_EQ(read_hdf5(p, "/x_be").shape, (Shape{2, 3, 4}));
}

TEST(Hdf5Corrupt, DatatypeMessagesAreCheckedBeforeLibhdf5DecodesThem) {
  // Found by fuzz/hdf5.cpp: h5py.h5 with the enum type of /flags damaged, so that its values
  // (2 x 872,415,233 bytes) or its member names run past the 40-byte datatype message. libhdf5
  // 1.10.8 decoded that message when the dataset was listed or opened and read past it (a 1.7 GB
  // memcpy, a strdup; heap over-reads under ASan) before physcnn saw anything.
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"fuzz_dtype_overread_1.h5", "2 enum values of 872415233 bytes each do not fit"},
      {"fuzz_dtype_overread_2.h5", "an enum member's name of 8 bytes runs past the message"}};
  for (const auto& c : cases) {
    const std::string p = physcnn::test::format_fixture(c.first);
    const auto names = list_hdf5_datasets(p);  // lists without decoding any datatype
    EXPECT_NE(std::find(names.begin(), names.end(), "/flags"), names.end()) << c.first;
    EXPECT_TRUE(throws_with<IoError>(
        [&] { read_hdf5(p, "/flags"); },
        {p + ":/flags", "corrupt datatype message", c.second, "refused before libhdf5"}));
    for (const auto& ds : names) {  // the others read, or fail with a data error
      try {
        read_hdf5(p, ds);
      } catch (const IoError&) {
      }
    }
  }
}

TEST(Hdf5Corrupt, GroupLocalHeapLargerThanTheFileIsRefused) {
  // Found by fuzz/hdf5.cpp (second campaign): the root group's local heap declares a data segment
  // of 5 x 10^18 bytes; libhdf5 allocated that size while listing the file (malloc of
  // 0x4644488900000058 bytes, an ASan abort) before reading it. Each group's heap is now checked
  // against the file before libhdf5 iterates the group or looks a name up in it.
  const std::string p = physcnn::test::format_fixture("fuzz_huge_local_heap.h5");
  EXPECT_TRUE(throws_with<IoError>([&] { list_hdf5_datasets(p); },
                                   {p + ":/", "local heap declares", "refused before libhdf5"}));
  EXPECT_TRUE(
      throws_with<IoError>([&] { read_hdf5(p, "/x_be"); }, {p + ":/", "local heap declares"}));
}

TEST(Hdf5Corrupt, DatatypeCheckBoundsEveryField) {
  using physcnn::data::detail::check_hdf5_datatype;
  // float32 little-endian as libhdf5 writes it: class 1, version 1, size 4, 12 property bytes.
  const std::vector<uint8_t> f32 = {0x11, 0x20, 0x1f, 0x00, 4, 0,  0,   0, 0, 0,
                                    32,   0,    23,   8,    0, 23, 127, 0, 0, 0};
  EXPECT_NO_THROW(check_hdf5_datatype(f32, "ok"));
  EXPECT_TRUE(throws_with<IoError>(
      [&] { check_hdf5_datatype(std::span(f32).first(19), "f.h5:/x"); },
      {"f.h5:/x", "a float's properties of 12 bytes runs past the message", "byte 8 of 19"}));
  // An enum of 2 one-byte members over int8: names "a", "b" padded to 8, values 0, 1.
  std::vector<uint8_t> e = {0x18, 2, 0, 0, 1, 0, 0, 0, 0x10, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0};
  for (const char c : {'a', 'b'}) {
    e.push_back(uint8_t(c));
    e.insert(e.end(), 7, 0);
  }
  e.push_back(0);
  e.push_back(1);
  EXPECT_NO_THROW(check_hdf5_datatype(e, "ok"));
  EXPECT_TRUE(
      throws_with<IoError>([&] { check_hdf5_datatype(std::span(e).first(e.size() - 1), "x"); },
                           {"2 enum values of 1 bytes each do not fit"}));
  std::vector<uint8_t> no_nul(e.begin(), e.begin() + 21);  // the name "a" cut before its NUL
  no_nul[20] = 'a';
  EXPECT_TRUE(throws_with<IoError>([&] { check_hdf5_datatype(no_nul, "x"); },
                                   {"an enum member's name without its terminating NUL"}));
  // A variable-length type nested 40 deep (libhdf5 decodes it recursively).
  std::vector<uint8_t> deep;
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x19, 0, 0, 0, 16, 0, 0, 0});
  EXPECT_TRUE(
      throws_with<IoError>([&] { check_hdf5_datatype(deep, "x"); }, {"nested more than 16"}));
}

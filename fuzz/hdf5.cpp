// HDF5 files (the reader takes a path): every dataset the file lists, read as an Array. External
// storage and links to other files must be refused, never followed.
#include "data/formats/hdf5.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  static fuzz::ScratchFile file("hdf5", ".h5");
  file.write(data, size);
  fuzz::expect_clean([&] {
    const auto names = data::list_hdf5_datasets(file.path());
    for (size_t i = 0; i < names.size() && i < 8; ++i)
      fuzz::expect_clean([&] { (void)data::read_hdf5(file.path(), names[i]); });
  });
  // A dataset name the listing may not have produced (links, odd paths).
  fuzz::expect_clean([&] { (void)data::read_hdf5(file.path(), "/x"); });
  return 0;
}

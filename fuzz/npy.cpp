// .npy files: parsed from memory (read_npy, npz entries) and memory-mapped from a file (the
// `mmap = true` path of experiments), whose rows are copied out.
#include <algorithm>

#include "data/formats/npy.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  fuzz::expect_clean([&] {
    const auto a = data::parse_npy({data, size}, "fuzz.npy");
    if (a.numel() > 0) (void)a.value_f64(a.numel() - 1);
  });
  static fuzz::ScratchFile file("npy", ".npy");
  file.write(data, size);
  fuzz::expect_clean([&] {
    const data::MappedNpy m(file.path());
    if (m.shape().rank() > 0 && m.shape()[0] > 0) {
      const int64_t rows = std::min<int64_t>(m.shape()[0], 4);
      (void)m.read_rows(m.shape()[0] - rows, rows);
    }
  });
  return 0;
}

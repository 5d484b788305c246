// .npz archives (zip of .npy; lying sizes, zip bombs): every entry of an archive in memory, and
// the report's samples.npz reader, which opens the archive from a file.
#include "data/formats/npz.hpp"
#include "fuzz_common.hpp"
#include "report/run_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  fuzz::expect_clean([&] {
    const data::NpzReader npz(std::vector<uint8_t>(data, data + size), "fuzz.npz");
    for (const auto& name : npz.names()) {
      fuzz::expect_clean([&] {
        const auto a = npz.read(name);
        if (a.numel() > 0) (void)a.value_f64(a.numel() - 1);
      });
    }
  });
  static fuzz::ScratchFile file("npz", ".npz");
  file.write(data, size);
  fuzz::expect_clean([&] { (void)report::read_samples(file.path()); });
  return 0;
}

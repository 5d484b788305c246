// IDX files, raw and gzipped, from memory (read_idx maps the file and calls the same parser).
#include "data/formats/idx.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  physcnn::fuzz::expect_clean([&] {
    const auto a = physcnn::data::parse_idx({data, size}, "fuzz.idx");
    if (a.numel() > 0) (void)a.value_f64(a.numel() - 1);
  });
  return 0;
}

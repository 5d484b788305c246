// Safetensors weight files: the parser from memory, then the weights loader of `physcnn eval`
// and `predict` (a file, state_dict into a small model, the "normalization" metadata).
#include <string>

#include "fuzz_common.hpp"
#include "io/safetensors.hpp"
#include "nn/layers.hpp"
#include "train/run_dir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  fuzz::expect_clean([&] {
    (void)io::parse_safetensors(std::string(reinterpret_cast<const char*>(data), size),
                                "fuzz.safetensors");
  });
  static fuzz::ScratchFile file("safetensors", ".safetensors");
  file.write(data, size);
  fuzz::expect_clean([&] {
    nn::Linear model({.in = 4, .out = 3}, Rng(1));
    (void)train::load_model(file.path(), model);
  });
  return 0;
}

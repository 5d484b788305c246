// TOML experiment files: parsed (no data is opened), then the optimizer and schedule they
// describe are built over a small model, as `physcnn train` does before the first step.
#include <string>

#include "fuzz_common.hpp"
#include "nn/layers.hpp"
#include "train/experiment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  fuzz::expect_clean([&] {
    const auto e = train::parse_experiment(std::string(reinterpret_cast<const char*>(data), size),
                                           "fuzz.toml", "/nonexistent-fuzz-dir");
    nn::Linear model({.in = 4, .out = 3}, Rng(1));
    auto opt = train::make_optimizer(e, model);
    (void)train::make_scheduler(e, *opt);
    (void)train::trainer_options(e, "", true);
  });
  return 0;
}

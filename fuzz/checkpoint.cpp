// Checkpoints (safetensors with optimizer and schedule tensors and JSON trainer state in the
// metadata): `--resume` of a trainer over a small model with Adam and a step schedule.
#include "fuzz_common.hpp"
#include "nn/layers.hpp"
#include "optim/adam.hpp"
#include "optim/scheduler.hpp"
#include "train/loop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  static fuzz::ScratchFile file("checkpoint", ".safetensors");
  file.write(data, size);
  fuzz::expect_clean([&] {
    auto model = std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 3}, Rng(1));
    optim::Adam adam(model->named_parameters(), {.lr = 1e-2});
    optim::StepLr schedule(adam, {.step_size = 2, .gamma = 0.5});
    train::Trainer trainer(*model, adam, &schedule, {.epochs = 3, .seed = 7, .quiet = true});
    trainer.resume(file.path());
  });
  return 0;
}

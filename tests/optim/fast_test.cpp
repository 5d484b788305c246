// The fast (blocked, vectorized) float32 Adam/AdamW/RMSprop updates against the reference
// loops: same operations in the same order, so the results must be equal bit for bit, for
// sizes around the block length and large enough to run on several threads.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "kernels/backend.hpp"
#include "optim/optim.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

using Factory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<ag::Var>)>;

// Three steps with random gradients; returns the parameter and every state buffer.
std::vector<std::vector<double>> run(const Factory& make, int64_t n, kernels::Backend backend) {
  kernels::BackendGuard guard(backend);
  Rng rng(uint64_t(n) + 7);
  ag::Var w(Tensor::uniform({n}, -1, 1, rng), true);
  auto opt = make({w});
  for (int k = 0; k < 3; ++k) {
    w.grad() = Tensor::uniform({n}, -1, 1, rng);
    opt->step();
  }
  std::vector<std::vector<double>> out{w.value().to_vector()};
  for (const auto& [key, t] : opt->state().tensors) out.push_back(t.to_vector());
  return out;
}

}  // namespace

TEST(FastUpdate, EqualsReferenceBitForBit) {
  using namespace optim;
  const std::vector<std::pair<std::string, Factory>> configs{
      {"adam", [](auto p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01}); }},
      {"adam_wd_ams_max",
       [](auto p) {
         return std::make_unique<Adam>(
             p, AdamOptions{.weight_decay = 0.1, .amsgrad = true, .maximize = true});
       }},
      {"adamw", [](auto p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01}); }},
      {"adamw_ams",
       [](auto p) { return std::make_unique<AdamW>(p, AdamWOptions{.amsgrad = true}); }},
      {"rmsprop", [](auto p) { return std::make_unique<Rmsprop>(p, RmspropOptions{}); }},
      {"rmsprop_centered_wd",
       [](auto p) {
         return std::make_unique<Rmsprop>(p, RmspropOptions{.weight_decay = 0.1, .centered = true});
       }},
      {"rmsprop_momentum_max",
       [](auto p) {
         return std::make_unique<Rmsprop>(p, RmspropOptions{.momentum = 0.9, .maximize = true});
       }},
      {"rmsprop_centered_momentum",
       [](auto p) {
         return std::make_unique<Rmsprop>(p, RmspropOptions{.momentum = 0.5, .centered = true});
       }},
  };
  for (const auto& [name, make] : configs) {
    for (int64_t n : {1, 5, 255, 256, 257, 1000, 70001}) {
      const auto ref = run(make, n, kernels::Backend::Reference);
      const auto fast = run(make, n, kernels::Backend::Fast);
      ASSERT_EQ(ref.size(), fast.size());
      for (size_t b = 0; b < ref.size(); ++b)
        ASSERT_EQ(ref[b], fast[b]) << name << " n=" << n << " tensor " << b;
    }
  }
}

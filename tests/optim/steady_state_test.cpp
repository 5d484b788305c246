// A steady-state training step asks the system for no memory: after warm-up every tensor it
// allocates comes from the caching allocator's free lists (issue 5, "no allocation in a
// steady-state step"), and the footprint stays one step's worth.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/models/models.hpp"
#include "optim/optim.hpp"
#include "tensor/allocator.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

template <class MakeOpt>
void expect_steady(const char* what, std::shared_ptr<nn::Module> model, const Shape& input,
                   MakeOpt make_opt) {
  allocator::release_cached();
  Rng rng(5);
  const Tensor x = Tensor::normal(input, 0, 1, rng);
  Tensor target = Tensor::empty({input[0]}, DType::F32);
  for (int64_t i = 0; i < input[0]; ++i) target.set({i}, double(i % 2));
  auto opt = make_opt(model->named_parameters());
  auto step = [&] {
    opt->zero_grad();
    ag::Var loss = ag::cross_entropy((*model)(ag::Var(x)), target);
    loss.backward();
    opt->step();
    return loss.item();
  };
  for (int i = 0; i < 3; ++i) step();
  const allocator::Stats before = allocator::stats();
  double last = 0;
  for (int i = 0; i < 4; ++i) last = step();
  const allocator::Stats after = allocator::stats();
  EXPECT_TRUE(std::isfinite(last)) << what;
  EXPECT_GT(after.allocations, before.allocations + 20) << what << ": the step allocates tensors";
  EXPECT_EQ(after.os_allocations, before.os_allocations)
      << what << ": " << (after.allocations - before.allocations) << " allocations, "
      << (after.cache_hits - before.cache_hits) << " from the cache";
  // One step's worth: live + cached stays within the allocator's bound of 1.5x the largest
  // live size.
  EXPECT_LE(after.live_bytes + after.cached_bytes,
            after.peak_live_bytes + after.peak_live_bytes / 2 + 4096)
      << what;
}

}  // namespace

TEST(SteadyState, TrainingStepAllocatesNothingNew) {
  expect_steady("fmnist_bn + Adam", nn::models::fmnist_bn(1), {8, 1, 28, 28}, [](auto p) {
    return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 1e-3});
  });
  expect_steady("ising_cnn + SGD momentum", nn::models::ising_cnn(2), {8, 1, 16, 16}, [](auto p) {
    return std::make_unique<optim::Sgd>(p, optim::SgdOptions{.lr = 0.01, .momentum = 0.9});
  });
}

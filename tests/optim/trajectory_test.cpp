// PyTorch trajectory parity: 20 steps of every optimizer configuration of
// tools/ref/optim_ref.py, comparing all parameters after every step. float64 runs agree to
// ~1e-12 relative (only the gradients' rounding differs); float32 runs to 1e-5 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "problem.hpp"

using namespace physcnn;
using physcnn::test::Fixture;

namespace {

constexpr int kSteps = 20;

// Runs one configuration and compares each parameter's 20-step trajectory with the fixture.
void expect_trajectory(const Fixture& f, const std::string& prefix, const std::string& cfg,
                       double rtol, double atol) {
  SCOPED_TRACE(prefix + cfg);
  const auto problem = test::make_problem(f, prefix);
  auto opt = test::optimizer_configs().at(cfg)(problem.params);
  double worst = 0.0;
  for (int k = 0; k < kSteps; ++k) {
    problem.iterate(*opt, k);
    for (const auto& name : test::kParamNames) {
      const Tensor expected = f[prefix + cfg + "." + name].select(0, k);
      worst = std::max(worst, max_abs_diff(problem.param(name).value(), expected.contiguous()));
      ASSERT_TRUE(
          test::tensors_close(problem.param(name).value(), expected, rtol, atol,
                              prefix + cfg + "." + name + " after step " + std::to_string(k + 1)));
    }
  }
  std::printf("  %s%s: largest |physcnn - PyTorch| over %d steps: %.3g\n", prefix.c_str(),
              cfg.c_str(), kSteps, worst);
  // c has no gradient on every 4th step and u never has one: their steps lag or stay at zero.
  EXPECT_EQ(opt->param_steps(0), kSteps);
  EXPECT_EQ(opt->param_steps(2), kSteps - kSteps / 4);
  EXPECT_EQ(opt->param_steps(3), 0);
}

}  // namespace

class TrajectoryF64 : public ::testing::TestWithParam<std::string> {};

TEST_P(TrajectoryF64, MatchesPyTorch) {
  const Fixture f = test::load_fixture("optim_trajectories");
  expect_trajectory(f, "", GetParam(), 1e-10, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Optim, TrajectoryF64,
                         ::testing::Values("sgd_plain", "sgd_momentum", "sgd_nesterov",
                                           "sgd_weight_decay", "sgd_dampening", "rmsprop_plain",
                                           "rmsprop_centered", "rmsprop_momentum", "adam",
                                           "adam_amsgrad", "adamw", "adamw_amsgrad"));

class TrajectoryF32 : public ::testing::TestWithParam<std::string> {};

TEST_P(TrajectoryF32, MatchesPyTorch) {
  const Fixture f = test::load_fixture("optim_trajectories");
  expect_trajectory(f, "f32.", GetParam(), 1e-5, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Optim, TrajectoryF32,
                         ::testing::Values("sgd_momentum", "rmsprop_centered", "adam", "adamw"));

// Adam driven by the warm-up + cosine schedule stepped once per optimizer step.
TEST(Trajectory, AdamWithWarmupCosineMatchesPyTorch) {
  const Fixture f = test::load_fixture("optim_trajectories");
  const auto problem = test::make_problem(f, "");
  optim::Adam opt(problem.params, {.lr = 0.05});
  optim::WarmupCosineLr schedule(
      opt, {.warmup_epochs = 4, .total_epochs = 15, .start_factor = 0.25, .eta_min = 0.001});
  const auto lrs = f["adam_warmup_cosine.lr"].to_vector();
  for (int k = 0; k < kSteps; ++k) {
    // PyTorch chains the lr from step to step; the closed form differs by rounding only.
    EXPECT_NEAR(opt.lr(), lrs[size_t(k)], 1e-13 * lrs[size_t(k)]) << "step " << k;
    problem.iterate(opt, k);
    schedule.step();
    for (const auto& name : test::kParamNames)
      ASSERT_TRUE(test::tensors_close(problem.param(name).value(),
                                      f["adam_warmup_cosine." + name].select(0, k), 1e-10, 1e-12,
                                      "adam_warmup_cosine." + name));
  }
}

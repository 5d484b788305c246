// Learning-rate schedules against PyTorch 1.13 (lr after construction and after each of 25
// steps), their state save/restore and option checks. PyTorch chains the lr from step to
// step while physcnn uses the closed forms, so they agree to rounding (1e-13 relative).
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "optim/optim.hpp"
#include "support/fixture.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
using optim::LrScheduler;

namespace {

using ScheduleFactory = std::function<std::unique_ptr<LrScheduler>(optim::Optimizer&)>;

std::map<std::string, ScheduleFactory> schedule_configs() {
  using namespace optim;
  return {
      {"step",
       [](Optimizer& o) {
         return std::make_unique<StepLr>(o, StepLrOptions{.step_size = 3, .gamma = 0.5});
       }},
      {"multistep",
       [](Optimizer& o) {
         return std::make_unique<MultiStepLr>(
             o, MultiStepLrOptions{.milestones = {11, 2, 5, 5}, .gamma = 0.3});
       }},
      {"exponential",
       [](Optimizer& o) {
         return std::make_unique<ExponentialLr>(o, ExponentialLrOptions{.gamma = 0.9});
       }},
      {"cosine",
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLr>(
             o, CosineAnnealingLrOptions{.t_max = 8, .eta_min = 0.001});
       }},
      {"warmup_cosine",
       [](Optimizer& o) {
         return std::make_unique<WarmupCosineLr>(
             o, WarmupCosineLrOptions{
                    .warmup_epochs = 4, .total_epochs = 15, .start_factor = 0.25, .eta_min = 0.01});
       }},
      {"plateau_min_rel",
       [](Optimizer& o) {
         return std::make_unique<ReduceLrOnPlateau>(
             o, ReduceLrOnPlateauOptions{.mode = PlateauMode::Min,
                                         .factor = 0.5,
                                         .patience = 2,
                                         .threshold = 0.01,
                                         .cooldown = 1,
                                         .min_lr = 0.01});
       }},
      {"plateau_max_abs",
       [](Optimizer& o) {
         return std::make_unique<ReduceLrOnPlateau>(
             o, ReduceLrOnPlateauOptions{.mode = PlateauMode::Max,
                                         .factor = 0.2,
                                         .patience = 1,
                                         .threshold = 0.05,
                                         .threshold_mode = ThresholdMode::Abs,
                                         .cooldown = 2,
                                         .min_lr = 1e-3});
       }},
  };
}

std::unique_ptr<optim::Optimizer> fresh_sgd() {
  return std::make_unique<optim::Sgd>(
      std::vector<ag::Var>{ag::Var(Tensor::zeros({1}, DType::F64), true)},
      optim::SgdOptions{.lr = 0.1});
}

void step(LrScheduler& s, const test::Fixture& f, const std::string& cfg, int epoch) {
  if (s.needs_metric())
    s.step(f[cfg + ".metric"].to_vector()[size_t(epoch)]);
  else
    s.step();
}

}  // namespace

class SchedulePyTorch : public ::testing::TestWithParam<std::string> {};

TEST_P(SchedulePyTorch, LrSequenceMatches) {
  const std::string cfg = GetParam();
  const auto f = test::load_fixture("optim_schedules");
  const auto expected = f[cfg].to_vector();
  auto opt = fresh_sgd();
  auto s = schedule_configs().at(cfg)(*opt);
  for (size_t e = 0; e < expected.size(); ++e) {
    EXPECT_NEAR(s->lr(), expected[e], 1e-13 * expected[e]) << cfg << " at epoch " << e;
    EXPECT_EQ(s->last_epoch(), int64_t(e));
    if (e + 1 < expected.size()) step(*s, f, cfg, int(e));
  }
}

// Save after 7 epochs, restore into a fresh optimizer and schedule, continue: same lrs.
TEST_P(SchedulePyTorch, StateRoundTrip) {
  const std::string cfg = GetParam();
  const auto f = test::load_fixture("optim_schedules");
  const auto expected = f[cfg].to_vector();
  auto opt = fresh_sgd();
  auto s = schedule_configs().at(cfg)(*opt);
  for (int e = 0; e < 7; ++e) step(*s, f, cfg, e);
  auto opt2 = fresh_sgd();
  opt2->load_state(opt->state());  // the plateau's lr lives in the optimizer
  auto s2 = schedule_configs().at(cfg)(*opt2);
  s2->load_state(s->state());
  EXPECT_EQ(s2->last_epoch(), 7);
  for (size_t e = 7; e + 1 < expected.size(); ++e) {
    step(*s2, f, cfg, int(e));
    EXPECT_NEAR(s2->lr(), expected[e + 1], 1e-13 * expected[e + 1]) << cfg << " epoch " << e + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Optim, SchedulePyTorch,
                         ::testing::Values("step", "multistep", "exponential", "cosine",
                                           "warmup_cosine", "plateau_min_rel", "plateau_max_abs"));

TEST(Schedules, WarmupZeroIsPlainCosine) {
  auto a = fresh_sgd(), b = fresh_sgd();
  optim::WarmupCosineLr w(*a, {.warmup_epochs = 0, .total_epochs = 10, .eta_min = 0.01});
  optim::CosineAnnealingLr c(*b, {.t_max = 10, .eta_min = 0.01});
  for (int e = 0; e < 12; ++e) {
    EXPECT_EQ(w.lr(), c.lr()) << e;
    w.step(0.5);  // epoch schedules ignore a metric
    c.step();
  }
}

TEST(Schedules, InvalidOptionsAreUsageErrors) {
  using namespace optim;
  auto opt = fresh_sgd();
  EXPECT_THROW(StepLr(*opt, {.step_size = 0}), UsageError);
  EXPECT_THROW(MultiStepLr(*opt, {.milestones = {3, -1}}), UsageError);
  EXPECT_THROW(ExponentialLr(*opt, {.gamma = -0.5}), UsageError);
  EXPECT_THROW(CosineAnnealingLr(*opt, {.t_max = 0}), UsageError);
  EXPECT_THROW(WarmupCosineLr(*opt, {.warmup_epochs = 10, .total_epochs = 10}), UsageError);
  EXPECT_THROW(WarmupCosineLr(*opt, {.start_factor = 0.0}), UsageError);
  EXPECT_THROW(ReduceLrOnPlateau(*opt, {.factor = 1.0}), UsageError);
  EXPECT_THROW(ReduceLrOnPlateau(*opt, {.patience = -1}), UsageError);
  ReduceLrOnPlateau plateau(*opt);
  EXPECT_TRUE(plateau.needs_metric());
  EXPECT_THROW(plateau.step(), UsageError);
  StepLr s(*opt, {.step_size = 2});
  State bad = s.state();
  bad.scalars["last_epoch"] = -1;
  EXPECT_THROW(s.load_state(bad), UsageError);
  EXPECT_THROW(s.load_state(plateau.state()), UsageError);
  EXPECT_THROW(plateau.load_state(s.state()), UsageError);
}

TEST(Schedules, SchedulesSetTheOptimizerLr) {
  auto opt = fresh_sgd();
  optim::StepLr s(*opt, {.step_size = 1, .gamma = 0.5});
  s.step();
  EXPECT_DOUBLE_EQ(opt->lr(), 0.05);
  EXPECT_DOUBLE_EQ(s.base_lr(), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(3), 0.0125);
}

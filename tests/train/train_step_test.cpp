// The one training step: the same update as the textbook loop, the NaN stop before the optimizer
// touches the weights, clipping and the per-step schedule.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "support/throws.hpp"
#include "tensor/ops.hpp"
#include "train/train_step.hpp"

namespace physcnn::train {
namespace {

namespace ag = physcnn::autograd;

nn::ModulePtr tiny_net(uint64_t seed) {
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 3, .kernel = 3, .padding = 1},
                                   Rng(seed)),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::GlobalAvgPool2d>(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3, .out = 2}, Rng(seed + 1))});
  m->build(Shape{1, 6, 6});
  return m;
}

data::Batch batch_of(int64_t n) {
  Rng rng(5);
  data::Batch b;
  b.inputs = Tensor::normal(Shape{n, 1, 6, 6}, 0.0, 1.0, rng);
  for (int64_t i = 0; i < n; ++i) b.labels.push_back(i % 2);
  return b;
}

std::vector<double> flat_parameters(nn::Module& m) {
  std::vector<double> v;
  for (const auto& p : m.parameters()) {
    const auto x = p.value().to_vector();
    v.insert(v.end(), x.begin(), x.end());
  }
  return v;
}

TEST(TrainStep, EqualsTheTextbookStep) {
  const data::Batch b = batch_of(8);
  auto a = tiny_net(3), m = tiny_net(3);
  optim::Sgd sa(a->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::Sgd sm(m->parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 3; ++step) {
    StepConfig config;
    config.chunks.chunk = StepOptions::kWholeBatch;
    const StepOutcome r = train_step(*a, sa, nullptr, b, LossKind::CrossEntropy, config);
    // zero_grad, forward, loss, backward, step: by hand.
    sm.zero_grad();
    const ag::Var loss =
        ag::cross_entropy((*m)(ag::Var(b.inputs)), labels_tensor(b.labels, Shape{8}));
    loss.backward();
    sm.step();
    EXPECT_DOUBLE_EQ(r.pass.loss, loss.item()) << "step " << step;
    ASSERT_TRUE(r.target.defined());
    EXPECT_EQ(r.target.to_vector(), labels_tensor(b.labels, Shape{8}).to_vector());
  }
  EXPECT_EQ(flat_parameters(*a), flat_parameters(*m));
}

TEST(TrainStep, NonFiniteLossStopsBeforeTheOptimizerNamingTheParameter) {
  auto m = tiny_net(3);
  optim::Sgd sgd(m->parameters(), {.lr = 0.1});
  m->named_parameters().back().second.value().data<float>()[0] = NAN;
  const std::vector<double> before = flat_parameters(*m);
  StepConfig config;
  config.where = "at epoch 7, step 70";
  test::expect_error<NumericalError>(
      [&] { train_step(*m, sgd, nullptr, batch_of(4), LossKind::CrossEntropy, config); },
      {"loss is", "epoch 7, step 70", m->named_parameters().back().first});
  const std::vector<double> after = flat_parameters(*m);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)  // no update: NaN stays NaN, the rest unchanged
    EXPECT_TRUE(before[i] == after[i] || (std::isnan(before[i]) && std::isnan(after[i]))) << i;
}

TEST(TrainStep, ClippingBoundsTheUpdate) {
  auto m = tiny_net(3);
  optim::Sgd sgd(m->parameters(), {.lr = 1.0});  // update = -gradient
  const std::vector<double> before = flat_parameters(*m);
  StepConfig config;
  config.clip_grad_norm = 1e-3;
  train_step(*m, sgd, nullptr, batch_of(8), LossKind::CrossEntropy, config);
  const std::vector<double> after = flat_parameters(*m);
  double norm2 = 0;
  for (size_t i = 0; i < before.size(); ++i)
    norm2 += (after[i] - before[i]) * (after[i] - before[i]);
  EXPECT_GT(std::sqrt(norm2), 0.0);
  EXPECT_LE(std::sqrt(norm2), 1e-3 * (1 + 1e-4));
}

TEST(TrainStep, SchedulePerStepOnlyWhenAsked) {
  auto m = tiny_net(3);
  optim::Sgd sgd(m->parameters(), {.lr = 0.1});
  optim::StepLr schedule(sgd, {.step_size = 1, .gamma = 0.5});
  const data::Batch b = batch_of(4);
  train_step(*m, sgd, &schedule, b, LossKind::CrossEntropy);
  EXPECT_DOUBLE_EQ(sgd.lr(), 0.1);  // per epoch: the trainer steps it
  StepConfig config;
  config.schedule_per_step = true;
  train_step(*m, sgd, &schedule, b, LossKind::CrossEntropy, config);
  train_step(*m, sgd, &schedule, b, LossKind::CrossEntropy, config);
  EXPECT_DOUBLE_EQ(sgd.lr(), 0.025);
}

}  // namespace
}  // namespace physcnn::train

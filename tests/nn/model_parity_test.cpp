// Whole-model parity with PyTorch (fixtures from tools/ref/model_ref.py): W1 lenet5 and W4
// unet_small start from the same hashed weights, then logits, loss, every parameter gradient
// and the losses of 10 optimizer steps are compared. Prints the largest relative errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "autograd/functional.hpp"
#include "nn/models/models.hpp"
#include "optim/adam.hpp"
#include "optim/sgd.hpp"
#include "support/fixture.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

constexpr int64_t kGradSamples = 1024;  // GRAD_SAMPLES in model_ref.py

// The same counter-based hash as model_ref.py's hash_uniform (splitmix64 finaliser).
Tensor hash_uniform(const Shape& shape, uint64_t tensor_index, double bound) {
  const int64_t n = shape.numel();
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint64_t x = uint64_t(i + 1) * 0x9E3779B97F4A7C15ULL + tensor_index * 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    const double u = double(x >> 11) * (1.0 / double(uint64_t(1) << 53));
    v[static_cast<size_t>(i)] = static_cast<float>((2.0 * u - 1.0) * bound);
  }
  return Tensor::from_vector(v, shape);
}

// The initial state_dict of model_ref.py's hash_init: bound 1/sqrt(fan_in of the layer weight).
nn::StateDict hashed_state(const nn::Module& model) {
  nn::StateDict sd = model.state_dict();
  uint64_t index = 0;
  for (const auto& [name, p] : model.named_parameters()) {
    const std::string layer = name.substr(0, name.rfind('.'));
    const Shape w = sd.at(layer + ".weight").shape();
    int64_t fan_in = w[1];
    for (int64_t d = 2; d < w.rank(); ++d) fan_in *= w[d];
    sd[name] = hash_uniform(p.shape(), index++, 1.0 / std::sqrt(double(fan_in)));
  }
  return sd;
}

struct Worst {
  double rel = 0;  // max |a-b| / max|b| over the tensor
  std::string where;
  void note(double r, const std::string& what) {
    if (r > rel) rel = r, where = what;
  }
};

double rel_error(const Tensor& a, const Tensor& b) {
  return max_abs_diff(a, b) / std::max(1e-30, max_abs(b));
}

// float32 tolerance: 1e-5 relative plus an atol of 1e-5 of the tensor's largest magnitude (sums
// over thousands of terms cancel, so small elements carry the large ones' absolute error).
::testing::AssertionResult close32(const Tensor& a, const Tensor& b, const std::string& what,
                                   Worst& worst, double scale = 1.0) {
  worst.note(rel_error(a.to(DType::F64), b.to(DType::F64)), what);
  return test::tensors_close(a, b, 1e-5 * scale, 1e-5 * scale * max_abs(b), what);
}

struct Case {
  std::string fixture;
  std::function<nn::ModulePtr()> make_model;
  std::function<std::unique_ptr<optim::Optimizer>(const nn::Module&)> make_optimizer;
};

void run_case(const Case& c) {
  const test::Fixture fx = test::load_fixture(c.fixture);
  if (::testing::Test::HasFatalFailure()) return;
  Worst worst;
  nn::ModulePtr model = c.make_model();
  model->load_state_dict(hashed_state(*model));
  for (const auto& [name, t] : model->state_dict()) {
    const Tensor expected = fx["init_sum." + name];
    EXPECT_NEAR(sum_all(t), expected.at({0}), 1e-6 * expected.at({1})) << name;
    EXPECT_NEAR(sum_all(abs(t)), expected.at({1}), 1e-6 * expected.at({1})) << name;
  }
  const Tensor x = fx["input"].to(DType::F32);
  const Tensor target = fx["target"];

  ag::Var logits = (*model)(ag::Var(x));
  EXPECT_TRUE(close32(logits.value(), fx["logits"], "logits", worst));
  ag::Var loss = ag::cross_entropy(logits, target);
  EXPECT_TRUE(close32(loss.value().reshape({1}), fx["loss"], "loss", worst));
  loss.backward();
  int64_t checked = 0;
  for (const auto& [name, p] : model->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    const Tensor g = p.grad().contiguous().reshape({p.numel()});
    const int64_t n = g.numel(), m = std::min(n, kGradSamples);
    Tensor sample = Tensor::empty({m}, DType::F32);
    for (int64_t j = 0; j < m; ++j)
      sample.set({j}, g.at({n > kGradSamples ? (j * n) / kGradSamples : j}));
    const Tensor expected = fx["grad_sample." + name];
    EXPECT_TRUE(close32(sample, expected, "grad " + name, worst));
    const Tensor stats = fx["grad_stats." + name];
    const Tensor g64 = g.to(DType::F64);
    // The sum cancels; compare it against the gradient's L1 scale, not its own size.
    const double l1 = std::sqrt(stats.at({1}) * double(n));
    EXPECT_NEAR(sum_all(g64), stats.at({0}), 1e-5 * l1 + 1e-12) << "sum of grad " << name;
    EXPECT_NEAR(dot_all(g64, g64), stats.at({1}), 1e-4 * stats.at({1})) << "sum sq " << name;
    ++checked;
  }
  int64_t in_fixture = 0;
  for (const auto& [key, _] : fx.tensors) in_fixture += key.rfind("grad_sample.", 0) == 0;
  EXPECT_EQ(checked, in_fixture) << "every parameter of the PyTorch model has a gradient here";

  // 10 steps from the same start, same batch.
  model->load_state_dict(hashed_state(*model));
  model->zero_grad();
  auto opt = c.make_optimizer(*model);
  const Tensor expected_losses = fx["train_losses"];
  std::vector<double> ours;
  for (int64_t step = 0; step < expected_losses.numel(); ++step) {
    opt->zero_grad();
    ag::Var l = ag::cross_entropy((*model)(ag::Var(x)), target);
    l.backward();
    opt->step();
    ours.push_back(l.item());
  }
  const Tensor ours_t = Tensor::from_vector(ours, {int64_t(ours.size())});
  // Ten steps of float32 round-off drift; PyTorch itself varies at ~1e-6 across thread counts.
  EXPECT_TRUE(close32(ours_t, expected_losses, "train losses", worst, 10.0));
  std::printf(
      "[ parity ] %s: largest relative error %.3g at %s; losses %.6f -> %.6f (torch %.6f)\n",
      c.fixture.c_str(), worst.rel, worst.where.c_str(), ours.front(), ours.back(),
      expected_losses.at({expected_losses.numel() - 1}));
}

}  // namespace

TEST(ModelParity, LeNet5SgdMomentum) {
  run_case({"model_lenet5", [] { return nn::models::lenet5(); },
            [](const nn::Module& m) -> std::unique_ptr<optim::Optimizer> {
              return std::make_unique<optim::Sgd>(m.named_parameters(),
                                                  optim::SgdOptions{.lr = 0.01, .momentum = 0.9});
            }});
}

TEST(ModelParity, UNetSmallAdam) {
  run_case({"model_unet_small", [] { return nn::models::unet_small(); },
            [](const nn::Module& m) -> std::unique_ptr<optim::Optimizer> {
              return std::make_unique<optim::Adam>(m.named_parameters(),
                                                   optim::AdamOptions{.lr = 1e-3});
            }});
}

// PyTorch parity for activations, softmax, batch norm and losses in float32: forward outputs,
// gradients of <g, out> and the updated running statistics, against the fixtures written by
// tools/ref/layers_ref.py. Each fixture is a table of configurations `<cfg>.<tensor>`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include "autograd/functional.hpp"
#include "support/fixture.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

constexpr double kRtol = 1e-5, kAtol = 1e-6;

// Largest relative error |a-e| / max(|e|, 1e-3) seen over the whole run, printed at the end.
double g_worst_rel = 0;
std::string g_worst_what;

::testing::AssertionResult close(const Tensor& actual, const Tensor& expected,
                                 const std::string& what) {
  if (actual.shape() == expected.shape()) {
    const auto a = actual.to_vector(), e = expected.to_vector();
    for (size_t i = 0; i < a.size(); ++i) {
      const double rel = std::abs(a[i] - e[i]) / std::max(std::abs(e[i]), 1e-3);
      if (rel > g_worst_rel) {
        g_worst_rel = rel;
        g_worst_what = what;
      }
    }
  }
  return test::tensors_close(actual, expected, kRtol, kAtol, what);
}

// Configuration names in a fixture: the parts of the keys before the first '.'.
std::set<std::string> configs(const test::Fixture& f) {
  std::set<std::string> names;
  for (const auto& [key, t] : f.tensors) names.insert(key.substr(0, key.find('.')));
  return names;
}

std::vector<double> params(const test::Fixture& f, const std::string& cfg) {
  return f[cfg + ".params"].to_vector();
}

ag::Var leaf(const Tensor& t) {
  return ag::Var(t.clone(), true);
}

// tools/ref/common.py stores 0-d tensors as [1] (np.ascontiguousarray adds a dimension);
// scalar losses and their seeds are reshaped to the op's output shape.
Tensor as_shape(const Tensor& t, const Shape& s) {
  return t.numel() == s.numel() ? t.reshape(s) : t;
}

ag::Reduction reduction(double code) {
  return code == 0 ? ag::Reduction::Mean : code == 1 ? ag::Reduction::Sum : ag::Reduction::None;
}

class WorstErrorReporter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::cout << "[layers parity] largest relative error " << g_worst_rel << " (" << g_worst_what
              << ")\n";
  }
};
const auto* const kReporter = ::testing::AddGlobalTestEnvironment(new WorstErrorReporter);

}  // namespace

TEST(LayersParity, Activations) {
  const test::Fixture f = test::load_fixture("layers_activation");
  const auto names = configs(f);
  ASSERT_GE(names.size(), 16u);
  for (const std::string& cfg : names) {
    const auto p = params(f, cfg);
    const int kind = int(p[0]);
    const double arg = p[1];
    const int64_t dim = int64_t(p[2]);
    ag::Var x = leaf(f[cfg + ".x"]);
    ag::Var y;
    switch (kind) {
      case 0:
        y = ag::relu(x);
        break;
      case 1:
        y = ag::leaky_relu(x, arg);
        break;
      case 2:
        y = ag::elu(x, arg);
        break;
      case 3:
        y = ag::gelu(x);
        break;
      case 4:
        y = ag::gelu(x, ag::GeluApprox::Tanh);
        break;
      case 5:
        y = ag::sigmoid(x);
        break;
      case 6:
        y = ag::tanh(x);
        break;
      case 7:
        y = ag::softmax(x, dim);
        break;
      case 8:
        y = ag::log_softmax(x, dim);
        break;
      default:
        FAIL() << cfg << ": unknown kind " << kind;
    }
    y.backward(f[cfg + ".g"]);
    EXPECT_TRUE(close(y.value(), f[cfg + ".y"], cfg + " output"));
    EXPECT_TRUE(close(x.grad(), f[cfg + ".gx"], cfg + " grad input"));
  }
}

TEST(LayersParity, BatchNorm) {
  const test::Fixture f = test::load_fixture("layers_norm");
  const auto names = configs(f);
  ASSERT_GE(names.size(), 9u);
  for (const std::string& cfg : names) {
    const auto p = params(f, cfg);
    const bool training = p[0] != 0, affine = p[1] != 0;
    ag::Var x = leaf(f[cfg + ".x"]);
    ag::Var w = affine ? leaf(f[cfg + ".w"]) : ag::Var();
    ag::Var b = affine ? leaf(f[cfg + ".b"]) : ag::Var();
    Tensor rm = f[cfg + ".rm"].clone(), rv = f[cfg + ".rv"].clone();
    ag::Var y = ag::batch_norm(x, w, b, rm, rv, training, p[2], p[3]);
    y.backward(f[cfg + ".g"]);
    EXPECT_TRUE(close(y.value(), f[cfg + ".y"], cfg + " output"));
    EXPECT_TRUE(close(x.grad(), f[cfg + ".gx"], cfg + " grad input"));
    if (affine) {
      EXPECT_TRUE(close(w.grad(), f[cfg + ".gw"], cfg + " grad weight"));
      EXPECT_TRUE(close(b.grad(), f[cfg + ".gb"], cfg + " grad bias"));
    }
    EXPECT_TRUE(close(rm, f[cfg + ".rm_out"], cfg + " running_mean"));
    EXPECT_TRUE(close(rv, f[cfg + ".rv_out"], cfg + " running_var"));
  }
}

TEST(LayersParity, CrossEntropy) {
  const test::Fixture f = test::load_fixture("layers_loss");
  int count = 0;
  for (const std::string& cfg : configs(f)) {
    if (cfg.rfind("ce", 0) != 0) continue;
    ++count;
    const auto p = params(f, cfg);
    ag::CrossEntropyArgs args{.class_weights = p[3] != 0 ? f[cfg + ".w"] : Tensor(),
                              .ignore_index = int64_t(p[0]),
                              .label_smoothing = p[1],
                              .reduction = reduction(p[2])};
    ag::Var x = leaf(f[cfg + ".x"]);
    ag::Var loss = ag::cross_entropy(x, f[cfg + ".t"], args);
    loss.backward(as_shape(f[cfg + ".g"], loss.shape()));
    EXPECT_TRUE(close(loss.value(), as_shape(f[cfg + ".loss"], loss.shape()), cfg + " loss"));
    EXPECT_TRUE(close(x.grad(), f[cfg + ".gx"], cfg + " grad logits"));
  }
  EXPECT_GE(count, 14);
}

TEST(LayersParity, BceWithLogits) {
  const test::Fixture f = test::load_fixture("layers_loss");
  int count = 0;
  for (const std::string& cfg : configs(f)) {
    if (cfg.rfind("bce", 0) != 0) continue;
    ++count;
    const auto p = params(f, cfg);
    ag::Var x = leaf(f[cfg + ".x"]);
    ag::Var loss = ag::bce_with_logits(x, f[cfg + ".t"], reduction(p[0]),
                                       p[1] != 0 ? f[cfg + ".pw"] : Tensor());
    loss.backward(as_shape(f[cfg + ".g"], loss.shape()));
    EXPECT_TRUE(close(loss.value(), as_shape(f[cfg + ".loss"], loss.shape()), cfg + " loss"));
    EXPECT_TRUE(close(x.grad(), f[cfg + ".gx"], cfg + " grad logits"));
  }
  EXPECT_GE(count, 6);
}

TEST(LayersParity, MseLoss) {
  const test::Fixture f = test::load_fixture("layers_loss");
  int count = 0;
  for (const std::string& cfg : configs(f)) {
    if (cfg.rfind("mse", 0) != 0) continue;
    ++count;
    const auto p = params(f, cfg);
    ag::Var x = leaf(f[cfg + ".x"]), t = leaf(f[cfg + ".t"]);
    ag::Var loss = ag::mse_loss(x, t, reduction(p[0]));
    loss.backward(as_shape(f[cfg + ".g"], loss.shape()));
    EXPECT_TRUE(close(loss.value(), as_shape(f[cfg + ".loss"], loss.shape()), cfg + " loss"));
    EXPECT_TRUE(close(x.grad(), f[cfg + ".gx"], cfg + " grad input"));
    EXPECT_TRUE(close(t.grad(), f[cfg + ".gt"], cfg + " grad target"));
  }
  EXPECT_EQ(count, 3);
}

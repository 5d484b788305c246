// Bad input gets a ShapeError / UsageError naming the op, the offending numbers and the shapes.
// Also checks behaviour PyTorch defines at the edges (softmax of huge logits, all-ignored mean).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/functional.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

// Runs f, expects exception type E whose message contains every fragment.
template <class E, class F>
void expect_error(F f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << fragments.front();
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& frag : fragments)
      EXPECT_NE(what.find(frag), std::string::npos) << "'" << frag << "' missing from: " << what;
  }
}

ag::Var zeros(const Shape& s) {
  return ag::Var(Tensor::zeros(s), true);
}

}  // namespace

TEST(LayersErrors, CrossEntropyTargets) {
  const ag::Var x = zeros({2, 3, 2});
  expect_error<ShapeError>(
      [&] {
        ag::cross_entropy(x, Tensor::zeros({2, 3}));
      },
      {"cross_entropy", "[2,3]", "[2,2]", "[2,3,2]"});
  Tensor t = Tensor::zeros({2, 2});
  t.set({1, 0}, 3.0);
  expect_error<UsageError>([&] { ag::cross_entropy(x, t); },
                           {"cross_entropy", "target 3", "[1,0]", "[0, 3)", "[2,3,2]"});
  t.set({1, 0}, -1.0);
  expect_error<UsageError>([&] { ag::cross_entropy(x, t); }, {"target -1", "[1,0]"});
  t.set({1, 0}, 0.0);
  t.set({0, 1}, 1.5);
  expect_error<UsageError>([&] { ag::cross_entropy(x, t); },
                           {"target 1.5", "[0,1]", "not an integer"});
  t.set({0, 1}, 1.0);
  expect_error<ShapeError>([&] { ag::cross_entropy(x, t, {.class_weights = Tensor::ones({4})}); },
                           {"class_weights", "[4]", "[3]", "[2,3,2]"});
  expect_error<UsageError>([&] { ag::cross_entropy(x, t, {.label_smoothing = 1.5}); },
                           {"label_smoothing", "1.5"});
  expect_error<ShapeError>([&] { ag::cross_entropy(zeros({5}), Tensor::zeros({1})); },
                           {"cross_entropy", "[5]"});
}

TEST(LayersErrors, CrossEntropyIgnoredTargetMayBeOutOfRange) {
  const ag::Var x = zeros({3, 4});
  Tensor t = Tensor::from_vector(std::vector<float>{1, -100, 2}, {3});
  EXPECT_NO_THROW(ag::cross_entropy(x, t));
  // All ignored: mean over zero weight is NaN, as PyTorch.
  Tensor all = Tensor::full({3}, -100.0);
  EXPECT_TRUE(std::isnan(ag::cross_entropy(x, all).item()));
  EXPECT_EQ(ag::cross_entropy(x, all, {.reduction = ag::Reduction::Sum}).item(), 0.0);
}

TEST(LayersErrors, OtherLosses) {
  expect_error<ShapeError>(
      [] {
        ag::mse_loss(zeros({2, 3}), zeros({3, 2}));
      },
      {"mse_loss", "[2,3]", "[3,2]"});
  expect_error<ShapeError>(
      [] {
        ag::bce_with_logits(zeros({2, 3}), Tensor::zeros({2, 4}));
      },
      {"bce_with_logits", "[2,4]", "[2,3]"});
  expect_error<ShapeError>(
      [] {
        ag::bce_with_logits(zeros({2, 3}), Tensor::zeros({2, 3}), ag::Reduction::Mean,
                            Tensor::ones({2}));
      },
      {"pos_weight", "[2]", "[2,3]"});
}

TEST(LayersErrors, BatchNormShapes) {
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  expect_error<ShapeError>(
      [&] {
        ag::batch_norm(zeros({4, 3}), zeros({4}), ag::Var(), rm, rv, true);
      },
      {"batch_norm", "weight", "[4]", "[3]", "[4,3]"});
  Tensor rm_bad = Tensor::zeros({2});
  expect_error<ShapeError>(
      [&] {
        ag::batch_norm(zeros({4, 3, 5}), {}, {}, rm_bad, rv, false);
      },
      {"running_mean", "[2]", "[4,3,5]"});
  expect_error<ShapeError>(
      [&] {
        ag::batch_norm(zeros({1, 3}), {}, {}, rm, rv, true);
      },
      {"batch_norm", "more than 1 value per channel", "[1,3]"});
  expect_error<ShapeError>([&] { ag::batch_norm(zeros({3}), {}, {}, rm, rv, true); },
                           {"batch_norm", "[3]"});
  Tensor none;
  expect_error<UsageError>(
      [&] {
        ag::batch_norm(zeros({4, 3}), {}, {}, none, none, false);
      },
      {"batch_norm", "running statistics"});
}

TEST(LayersErrors, SoftmaxAndDropoutArguments) {
  expect_error<ShapeError>([] { ag::softmax(zeros({2, 3}), 2); }, {"softmax", "dim 2", "[2,3]"});
  expect_error<ShapeError>([] { ag::log_softmax(zeros({2, 3}), -3); }, {"log_softmax", "dim -3"});
  Rng rng(1);
  expect_error<UsageError>([&] { ag::dropout(zeros({4}), 1.5, true, rng); }, {"dropout", "1.5"});
  expect_error<UsageError>([&] { ag::dropout(zeros({4}), -0.1, true, rng); }, {"dropout", "-0.1"});
  expect_error<ShapeError>(
      [&] {
        ag::dropout2d(zeros({4, 3}), 0.5, true, rng);
      },
      {"dropout2d", "[4,3]"});
}

TEST(LayersEdges, SoftmaxIsStableForHugeLogits) {
  ag::Var x(Tensor::from_vector(std::vector<float>{1000.f, 1001.f, -1000.f}, {1, 3}));
  const auto y = ag::softmax(x, 1).value().to_vector();
  const auto ly = ag::log_softmax(x, 1).value().to_vector();
  EXPECT_NEAR(y[0], 1.0 / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(y[1], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_EQ(y[2], 0.0);
  EXPECT_NEAR(ly[1], -std::log1p(std::exp(-1.0)), 1e-5);
  EXPECT_NEAR(ly[2], -2001.0 - std::log1p(std::exp(-1.0)), 1e-2);
  // BCE at |x| = 100 in float32: finite loss and gradient.
  ag::Var z(Tensor::from_vector(std::vector<float>{100.f, -100.f}, {2}), true);
  ag::Var loss = ag::bce_with_logits(z, Tensor::from_vector(std::vector<float>{0.f, 1.f}, {2}),
                                     ag::Reduction::Sum);
  EXPECT_NEAR(loss.item(), 200.0, 1e-3);
  loss.backward();
  EXPECT_NEAR(z.grad().at({0}), 1.0, 1e-6);
  EXPECT_NEAR(z.grad().at({1}), -1.0, 1e-6);
}

TEST(LayersEdges, BatchNormRunningStatsUseUnbiasedVariance) {
  // One channel, values 1,2,3,4: mean 2.5, biased var 1.25, unbiased 5/3.
  ag::Var x(Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {4, 1}));
  Tensor rm = Tensor::zeros({1}, DType::F64), rv = Tensor::ones({1}, DType::F64);
  const Tensor y = ag::batch_norm(x, {}, {}, rm, rv, true, 0.5, 0.0 + 1e-12).value();
  EXPECT_NEAR(rm.item(), 0.5 * 2.5, 1e-12);
  EXPECT_NEAR(rv.item(), 0.5 + 0.5 * 5.0 / 3.0, 1e-12);
  EXPECT_NEAR(y.at({0, 0}), -1.5 / std::sqrt(1.25), 1e-9);
  // Evaluation normalises with the running statistics instead.
  const Tensor ye = ag::batch_norm(x, {}, {}, rm, rv, false, 0.5, 1e-12).value();
  EXPECT_NEAR(ye.at({3, 0}), (4.0 - rm.item()) / std::sqrt(rv.item()), 1e-9);
}

TEST(LayersEdges, SoftmaxOfScalarIsOne) {
  ag::Var x(Tensor::scalar(3.0, DType::F64));
  EXPECT_EQ(ag::softmax(x, 0).item(), 1.0);
  EXPECT_EQ(ag::log_softmax(x, -1).item(), 0.0);
  EXPECT_THROW(ag::softmax(x, 1), ShapeError);
}

// Gradients of the basic ops (arithmetic with broadcasting, reductions, shape ops, linear)
// by the generic central-difference check in float64.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {
ag::Var input(const Shape& s, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng rng(seed);
  return ag::Var(Tensor::uniform(s, lo, hi, rng, DType::F64), true);
}

void expect_grad_ok(const ag::GradcheckFn& f, const std::vector<ag::Var>& in) {
  const auto r = ag::gradcheck(f, in);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_GT(r.coords_checked, 0);
}
}  // namespace

TEST(AutogradBasic, BroadcastArithmetic) {
  auto a = input({2, 3, 4}, 1), b = input({3, 1}, 2, 0.5, 2.0);
  expect_grad_ok([](auto& v) { return ag::add(v[0], v[1]); }, {a, b});
  expect_grad_ok([](auto& v) { return ag::sub(v[0], v[1]); }, {a, b});
  expect_grad_ok([](auto& v) { return ag::mul(v[0], v[1]); }, {a, b});
  expect_grad_ok([](auto& v) { return ag::div(v[0], v[1]); }, {a, b});
}

TEST(AutogradBasic, UnaryAndReductions) {
  auto a = input({3, 5}, 3, 0.2, 2.0);
  expect_grad_ok([](auto& v) { return ag::log(ag::exp(ag::square(v[0]))); }, {a});
  expect_grad_ok([](auto& v) { return ag::sum(v[0], {1}); }, {a});
  expect_grad_ok([](auto& v) { return ag::mean(v[0], {0}, true); }, {a});
  expect_grad_ok([](auto& v) { return ag::mean(ag::scale(v[0], 3.0)); }, {a});
}

TEST(AutogradBasic, ShapeOps) {
  auto a = input({2, 3, 4, 5}, 4), b = input({2, 2, 4, 5}, 5);
  expect_grad_ok([](auto& v) { return ag::concat({v[0], v[1]}, 1); }, {a, b});
  expect_grad_ok([](auto& v) { return ag::permute(v[0], {0, 2, 3, 1}); }, {a});
  expect_grad_ok([](auto& v) { return ag::flatten(v[0]); }, {a});
  for (PadMode m : {PadMode::Zeros, PadMode::Circular, PadMode::Reflect, PadMode::Replicate})
    expect_grad_ok([m](auto& v) { return ag::pad(v[0], {1, 2, 3, 1}, m, 0.5); }, {a});
}

TEST(AutogradBasic, LinearAndMatmul) {
  auto x = input({4, 6}, 6), w = input({3, 6}, 7), b = input({3}, 8);
  expect_grad_ok([](auto& v) { return ag::linear(v[0], v[1], v[2]); }, {x, w, b});
  expect_grad_ok([](auto& v) { return ag::linear(v[0], v[1], ag::Var()); }, {x, w});
  auto m = input({6, 2}, 9);
  expect_grad_ok([](auto& v) { return ag::matmul(v[0], v[1]); }, {x, m});
}

TEST(AutogradBasic, SharedInputAccumulates) {
  // y = x*x + x: dy/dx = 2x + 1, the input reached along two paths.
  auto x = input({5}, 10);
  auto y = ag::sum(ag::add(ag::mul(x, x), x));
  y.backward();
  for (int64_t i = 0; i < 5; ++i) EXPECT_NEAR(x.grad().at({i}), 2 * x.value().at({i}) + 1, 1e-12);
}

TEST(AutogradBasic, NoGradRecordsNothing) {
  auto x = input({3}, 11);
  ag::Var y;
  {
    ag::NoGradGuard guard;
    y = ag::square(x);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_THROW(y.backward(Tensor::ones({3}, DType::F64)), UsageError);
}

TEST(AutogradBasic, LinearShapeErrorNamesBothShapes) {
  auto x = input({4, 6}, 6), w = input({3, 5}, 7);
  try {
    ag::linear(x, w, ag::Var());
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[4,6]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[3,5]"), std::string::npos) << e.what();
  }
}

// Gradients of every pooling/upsampling row by the generic float64 central-difference check,
// plus hand-computed values for the rules that are easy to get wrong (ceil-mode divisors,
// ties, NaN, nearest/bilinear source indices).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "autograd/gradcheck.hpp"
#include "cases.hpp"
#include "kernels/backend.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {
// Uniform values in [-1, 1), or for max pooling a shuffled ramp whose neighbours differ by
// 2/numel (>> 2 * eps of the central difference), so no window ever has a near-tie.
Tensor gradcheck_input(const test::PoolCase& c, uint64_t seed) {
  Rng rng(seed);
  if (!c.needs_distinct()) return Tensor::uniform(c.shape, -1.0, 1.0, rng, DType::F64);
  const int64_t n = c.shape.numel();
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(v[static_cast<size_t>(i)], v[rng.below(static_cast<uint64_t>(i + 1))]);
  for (double& e : v) e = 2.0 * e / double(n) - 1.0;
  return Tensor::from_vector(v, c.shape);
}

Tensor ramp(const Shape& s) {
  std::vector<double> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), 0.0);
  return Tensor::from_vector(v, s);
}
}  // namespace

TEST(PoolGradcheck, EveryRow) {
  uint64_t seed = 100;
  for (const test::PoolCase& c : test::pool_cases()) {
    SCOPED_TRACE(c.name);
    ag::Var x(gradcheck_input(c, seed++), true);
    const auto r =
        ag::gradcheck([&c](const std::vector<ag::Var>& v) { return test::run_case(c, v[0]); }, {x});
    EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
    EXPECT_EQ(r.coords_checked, c.shape.numel()) << c.name;
  }
}

TEST(PoolValues, AvgCeilModeDivisorsMatchPyTorch) {
  // x = 0..8 as 3x3, k2 s2 ceil: the tail windows are clipped and count only what they cover:
  // PyTorch gives [[2, 3.5], [6.5, 8]] with count_include_pad true or false alike.
  for (bool cip : {true, false}) {
    ag::Var x(ramp({1, 1, 3, 3}));
    ag::Var y = ag::avg_pool2d(
        x, {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true, .count_include_pad = cip});
    ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
    EXPECT_DOUBLE_EQ(y.value().at({0, 0, 0, 0}), 2.0);
    EXPECT_DOUBLE_EQ(y.value().at({0, 0, 0, 1}), 3.5);
    EXPECT_DOUBLE_EQ(y.value().at({0, 0, 1, 0}), 6.5);
    EXPECT_DOUBLE_EQ(y.value().at({0, 0, 1, 1}), 8.0);
  }
}

TEST(PoolValues, AvgPaddingCountedOrNot) {
  // 1-D, x = 0..3, k3 s1 p1: first window covers (pad, 0, 1). Counting the pad: 1/3; not: 1/2.
  ag::Var x(ramp({1, 1, 4}));
  ag::Var incl = ag::avg_pool1d(x, {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}});
  ag::Var excl = ag::avg_pool1d(
      x, {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}, .count_include_pad = false});
  ASSERT_EQ(incl.shape(), (Shape{1, 1, 4}));
  EXPECT_DOUBLE_EQ(incl.value().at({0, 0, 0}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(excl.value().at({0, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(incl.value().at({0, 0, 3}), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(excl.value().at({0, 0, 3}), 2.5);
}

TEST(PoolValues, MaxTiesGoToFirstAndNaNPropagates) {
  for (auto backend : {kernels::Backend::Reference, kernels::Backend::Fast}) {
    kernels::BackendGuard guard(backend);
    for (DType dt : {DType::F32, DType::F64}) {
      // One 2x2 window of equal values: the gradient goes to the first (row-major) element.
      ag::Var x(Tensor::full({1, 1, 2, 2}, 3.0, dt), true);
      ag::Var y = ag::max_pool2d(x, {.kernel = {2, 2}});
      y.backward(Tensor::ones({1, 1, 1, 1}, dt));
      EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 0, 0, 0}));
      // A NaN wins over larger numbers, and its position gets the gradient.
      Tensor v = Tensor::from_vector(std::vector<double>{1, 5, NAN, 2}, {1, 1, 2, 2}).to(dt);
      ag::Var xn(v, true);
      ag::Var yn = ag::max_pool2d(xn, {.kernel = {2, 2}});
      EXPECT_TRUE(std::isnan(yn.value().item()));
      yn.backward(Tensor::ones({1, 1, 1, 1}, dt));
      EXPECT_EQ(xn.grad().to_vector(), (std::vector<double>{0, 0, 1, 0}));
      // All -inf: the output is -inf and the first element takes the gradient.
      const double inf = std::numeric_limits<double>::infinity();
      ag::Var xi(Tensor::full({1, 1, 2, 2}, -inf, dt), true);
      ag::Var yi = ag::max_pool2d(xi, {.kernel = {2, 2}});
      EXPECT_EQ(yi.value().item(), -inf);
      yi.backward(Tensor::ones({1, 1, 1, 1}, dt));
      EXPECT_EQ(xi.grad().to_vector(), (std::vector<double>{1, 0, 0, 0}));
    }
  }
}

TEST(PoolValues, DilatedMaxSkipsPaddingByWholeSteps) {
  // 1-D, x = 0..6, k3 d2 p1 s1: the first window visits positions -1, 1, 3 -> max 3; the last
  // visits 3, 5, 7 (padding) -> 5. Values checked against PyTorch 1.13.
  ag::Var x(ramp({1, 1, 7}));
  ag::Var y = ag::max_pool1d(
      x, {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}, .dilation = {2, 2}});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 5}));  // (7 + 2 - 4 - 1) / 1 + 1
  EXPECT_EQ(y.value().to_vector(), (std::vector<double>{3, 4, 5, 6, 5}));
}

TEST(PoolValues, GlobalPools) {
  ag::Var x(ramp({2, 3, 4, 5}), true);
  ag::Var avg = ag::global_avg_pool2d(x);
  ag::Var mx = ag::global_max_pool2d(x);
  ASSERT_EQ(avg.shape(), (Shape{2, 3, 1, 1}));
  ASSERT_EQ(mx.shape(), (Shape{2, 3, 1, 1}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c) {
      const double first = double((n * 3 + c) * 20);
      EXPECT_DOUBLE_EQ(avg.value().at({n, c, 0, 0}), first + 9.5);
      EXPECT_DOUBLE_EQ(mx.value().at({n, c, 0, 0}), first + 19);
    }
}

TEST(UpsampleValues, NearestAndBilinearSourceIndices) {
  // Nearest 2 -> 5 (size): index floor(o * 2/5) = 0,0,0,1,1.
  ag::Var x(ramp({1, 1, 1, 2}));
  ag::Var n = ag::upsample2d(x, {.size = {1, 5}});
  EXPECT_EQ(n.value().to_vector(), (std::vector<double>{0, 0, 0, 1, 1}));
  // Bilinear 2 -> 4 along W, align_corners false: src = (o + .5)/2 - .5 = 0(clamped), .25, .75,
  // 1.25 -> values 0, .25, .75, 1 (the last clamps to the edge pixel).
  ag::Var b = ag::upsample2d(x, {.size = {1, 4}, .mode = ag::UpsampleMode::Bilinear});
  EXPECT_EQ(b.value().to_vector(), (std::vector<double>{0, 0.25, 0.75, 1}));
  // align_corners true, 2 -> 4: src = o / 3 -> 0, 1/3, 2/3, 1.
  ag::Var a = ag::upsample2d(
      x, {.size = {1, 4}, .mode = ag::UpsampleMode::Bilinear, .align_corners = true});
  const auto av = a.value().to_vector();
  EXPECT_NEAR(av[1], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(av[2], 2.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(av[3], 1.0);
}

TEST(UpsampleValues, ScaleFactorUsesReciprocalRatio) {
  // 5 -> floor(5 * 1.5) = 7 pixels; PyTorch 1.13 samples with ratio 1/1.5, not 5/7:
  // align_corners false, o = 6: src = (6.5)/1.5 - .5 = 3.8333 (with 5/7 it would be 4.1429).
  ag::Var x(ramp({1, 1, 1, 5}));
  ag::Var y = ag::upsample2d(x, {.scale = {1.0, 1.5}, .mode = ag::UpsampleMode::Bilinear});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 7}));
  EXPECT_NEAR(y.value().at({0, 0, 0, 6}), 6.5 / 1.5 - 0.5, 1e-12);
  ag::Var z = ag::upsample2d(x, {.size = {1, 7}, .mode = ag::UpsampleMode::Bilinear});
  EXPECT_NEAR(z.value().at({0, 0, 0, 6}), 4.0, 1e-12);  // 4.1429 clamps to the last pixel
  // Nearest, 4 -> floor(4 * 1.7) = 6: floor(o / 1.7) = 0,0,1,1,2,2 (PyTorch 1.13; with the
  // ratio 4/6 it would be 0,0,1,2,2,3).
  ag::Var x4(ramp({1, 1, 1, 4}));
  ag::Var n = ag::upsample2d(x4, {.scale = {1.0, 1.7}});
  EXPECT_EQ(n.value().to_vector(), (std::vector<double>{0, 0, 1, 1, 2, 2}));
}

TEST(PoolValues, ViewsAndNoGradGiveSameValues) {
  // A transposed (non-contiguous) input pools like its packed copy; under NoGradGuard max
  // pooling skips the argmax bookkeeping but returns the same values.
  Rng rng(7);
  const Tensor base = Tensor::uniform({2, 3, 6, 5}, -1, 1, rng, DType::F32);
  const Tensor view = base.transpose(2, 3);  // (2,3,5,6), strided
  const Tensor packed = view.contiguous();
  const ag::Pool2dArgs args{.kernel = {3, 2}, .stride = {2, 2}, .padding = {1, 0}};
  for (auto backend : {kernels::Backend::Reference, kernels::Backend::Fast}) {
    kernels::BackendGuard guard(backend);
    const Tensor want = ag::max_pool2d(ag::Var(packed, true), args).value();
    EXPECT_EQ(ag::max_pool2d(ag::Var(view, true), args).value().to_vector(), want.to_vector());
    ag::NoGradGuard no_grad;
    EXPECT_EQ(ag::max_pool2d(ag::Var(packed, true), args).value().to_vector(), want.to_vector());
    EXPECT_EQ(ag::upsample2d(ag::Var(view), {.size = {7, 9}, .mode = ag::UpsampleMode::Bilinear})
                  .value()
                  .to_vector(),
              ag::upsample2d(ag::Var(packed), {.size = {7, 9}, .mode = ag::UpsampleMode::Bilinear})
                  .value()
                  .to_vector());
  }
}

// Dropout statistics: fraction kept close to 1-p, kept values scaled by 1/(1-p), whole channels
// for dropout2d, reproducibility per seed, identity in evaluation and p == 1.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

TEST(LayersDropout, FractionKeptAndScale) {
  const int64_t n = 200000;
  for (double p : {0.1, 0.25, 0.5, 0.9}) {
    Rng rng(1);
    ag::Var x(Tensor::ones({n}), true);
    ag::Var y = ag::dropout(x, p, true, rng);
    const auto v = y.value().to_vector();
    int64_t kept = 0;
    for (double e : v) {
      if (e != 0) {
        ++kept;
        EXPECT_NEAR(e, 1.0 / (1.0 - p), 1e-6) << "p=" << p;
      }
    }
    const double frac = double(kept) / double(n);
    // 5 standard deviations of a binomial fraction.
    EXPECT_NEAR(frac, 1.0 - p, 5 * std::sqrt(p * (1 - p) / double(n))) << "p=" << p;
    // Gradient uses the same mask: d sum(y) / dx equals y for x = 1.
    ag::sum(y).backward();
    EXPECT_EQ(max_abs_diff(x.grad(), y.value()), 0.0) << "p=" << p;
  }
}

TEST(LayersDropout, Dropout2dZeroesWholeChannels) {
  const double p = 0.4;
  const int64_t N = 50, C = 40, H = 3, W = 4;
  Rng rng(2);
  Rng data_rng(3);
  ag::Var x(Tensor::uniform({N, C, H, W}, 1.0, 2.0, data_rng));
  ag::Var y = ag::dropout2d(x, p, true, rng);
  int64_t kept = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const Tensor plane = y.value().select(0, n).select(0, c);
      const Tensor src = x.value().select(0, n).select(0, c);
      const bool zero = max_abs(plane) == 0.0;
      if (!zero) {
        ++kept;
        EXPECT_LT(max_abs_diff(plane, mul(src, 1.0 / (1.0 - p))), 1e-5) << n << "," << c;
      }
    }
  const double frac = double(kept) / double(N * C);
  EXPECT_NEAR(frac, 1.0 - p, 5 * std::sqrt(p * (1 - p) / double(N * C)));
}

TEST(LayersDropout, SameSeedSameMaskAndStreamAdvances) {
  ag::Var x(Tensor::ones({1000}));
  Rng a(5), b(5);
  const Tensor ya = ag::dropout(x, 0.5, true, a).value();
  const Tensor yb = ag::dropout(x, 0.5, true, b).value();
  EXPECT_EQ(max_abs_diff(ya, yb), 0.0);
  // A second call continues the stream: a different mask.
  const Tensor ya2 = ag::dropout(x, 0.5, true, a).value();
  EXPECT_GT(max_abs_diff(ya, ya2), 0.0);
}

TEST(LayersDropout, EvalIsIdentityAndPOneIsZero) {
  Rng rng(6), data_rng(7);
  ag::Var x(Tensor::uniform({4, 3, 2, 2}, -1.0, 1.0, data_rng), true);
  EXPECT_EQ(max_abs_diff(ag::dropout(x, 0.7, false, rng).value(), x.value()), 0.0);
  EXPECT_EQ(max_abs_diff(ag::dropout2d(x, 0.7, false, rng).value(), x.value()), 0.0);
  EXPECT_EQ(max_abs_diff(ag::dropout(x, 0.0, true, rng).value(), x.value()), 0.0);
  ag::Var y = ag::dropout(x, 1.0, true, rng);
  EXPECT_EQ(max_abs(y.value()), 0.0);
  ag::sum(y).backward();
  EXPECT_EQ(max_abs(x.grad()), 0.0);
  EXPECT_EQ(max_abs(ag::dropout2d(x, 1.0, true, rng).value()), 0.0);
}

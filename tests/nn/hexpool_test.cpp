// HexPool2d against a brute-force maximum over the cells within Cartesian distance k (and their
// periodic images), with strides and both boundaries; gradients by finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/gradcheck.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hexpool.hpp"
#include "support/inputs.hpp"
#include "support/throws.hpp"

using namespace physcnn;
using namespace physcnn::nn;
namespace ag = physcnn::autograd;

namespace {

// Full-resolution maximum over the true neighbours of every cell.
Tensor brute_force_max(const Tensor& x, int64_t k, bool periodic) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  Tensor y = Tensor::zeros(x.shape(), DType::F64);
  const int64_t images = periodic ? 1 : 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t r = 0; r < H; ++r)
        for (int64_t c = 0; c < W; ++c) {
          const HexPoint centre = offset_to_cartesian({c, r});
          double best = -std::numeric_limits<double>::infinity();
          for (int64_t a = -images; a <= images; ++a)
            for (int64_t b = -images; b <= images; ++b)
              for (int64_t r2 = 0; r2 < H; ++r2)
                for (int64_t c2 = 0; c2 < W; ++c2) {
                  const HexPoint p = offset_to_cartesian({c2 + b * W, r2 + a * H});
                  if (std::hypot(p.x - centre.x, p.y - centre.y) <= double(k) + 1e-9)
                    best = std::max(best, x.at({n, ch, r2, c2}));
                }
          y.data<double>()[((n * C + ch) * H + r) * W + c] = best;
        }
  return y;
}

}  // namespace

TEST(HexPool2d, MatchesBruteForceMaximumOverTrueNeighbours) {
  struct Case {
    int64_t H, W, k, s;
    HexBoundary b;
  };
  for (const Case& c :
       {Case{5, 6, 1, 1, HexBoundary::Zeros}, Case{7, 7, 2, 1, HexBoundary::Zeros},
        Case{6, 8, 1, 1, HexBoundary::Periodic}, Case{6, 8, 2, 2, HexBoundary::Periodic},
        Case{7, 9, 1, 2, HexBoundary::Zeros}, Case{8, 10, 2, 3, HexBoundary::Zeros}}) {
    HexPool2d m(HexPool2dOptions{.radius = c.k, .stride = c.s, .boundary = c.b});
    // Values in [-3, -1]: a pool that let the zero padding in would return 0 at the border.
    Rng rng(uint64_t(c.H * 100 + c.W));
    const Tensor x = Tensor::uniform(Shape{2, 3, c.H, c.W}, -3.0, -1.0, rng, DType::F64);
    const Tensor y = m(Var(x, false)).value();
    const Tensor full = brute_force_max(x, c.k, c.b == HexBoundary::Periodic);
    const int64_t WO = (c.W - 1) / c.s + 1;
    const int64_t HO = WO == 1 ? (c.H - 1) / c.s + 1 : (c.H - 1 - c.s / 2) / c.s + 1;
    ASSERT_EQ(y.shape(), (Shape{2, 3, HO, WO}));
    double worst = 0;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t ch = 0; ch < 3; ++ch)
        for (int64_t i = 0; i < HO; ++i)
          for (int64_t j = 0; j < WO; ++j)
            worst =
                std::max(worst, std::abs(y.at({n, ch, i, j}) -
                                         full.at({n, ch, c.s * i + (j % 2) * (c.s / 2), c.s * j})));
    EXPECT_EQ(worst, 0.0) << c.H << "x" << c.W << " k=" << c.k << " s=" << c.s;
  }
}

TEST(HexPool2d, GradientsMatchFiniteDifferences) {
  for (HexBoundary b : {HexBoundary::Zeros, HexBoundary::Periodic}) {
    HexPool2d m(HexPool2dOptions{.radius = 1, .stride = 2, .boundary = b});
    const auto r = ag::gradcheck([&m](const std::vector<Var>& v) { return m(v[0]); },
                                 {test::random_var(Shape{1, 2, 6, 8}, 4, DType::F64, true)});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.coords_checked, 0);
  }
}

TEST(HexPool2d, PeriodicBoundariesNeedAnEvenColumnCount) {
  HexPool2d m(HexPool2dOptions{.radius = 1, .stride = 1, .boundary = HexBoundary::Periodic});
  test::expect_error<ShapeError>(
      [&] {
        m(test::random_var(Shape{1, 1, 4, 5}, 1));
      },
      {"HexPool2d", "even number of columns", "[1,1,4,5]"});
}

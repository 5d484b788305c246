// HexConv2dP6: orientation 0 is HexConv2d with the same weights, and turning the input by 60
// degrees about a cell turns every output map and shifts the orientation index by one (exact).
#include <gtest/gtest.h>

#include <cmath>

#include "nn/hex_grid.hpp"
#include "nn/hexconv_p6.hpp"
#include "support/inputs.hpp"

using namespace physcnn;
using namespace physcnn::nn;

TEST(HexConv2dP6, OrientationZeroIsHexConv2dAndCountsAreShared) {
  const HexConv2dOptions o{.in = 2, .out = 3, .radius = 2, .boundary = HexBoundary::Periodic};
  HexConv2dP6 p6(o, Rng(4));
  HexConv2d plain(o, Rng(4));
  p6.to(DType::F64);
  plain.to(DType::F64);
  EXPECT_EQ(p6.parameter_count(), 3 * 2 * 19 + 3);
  const Var x = test::random_var(Shape{2, 2, 6, 8}, 3, DType::F64);
  const Tensor y6 = p6(x).value(), y = plain(x).value();
  ASSERT_EQ(y6.shape(), (Shape{2, 18, 6, 8}));
  double worst = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t r = 0; r < 6; ++r)
        for (int64_t c = 0; c < 8; ++c)
          worst = std::max(worst, std::abs(y6.at({n, 6 * ch, r, c}) - y.at({n, ch, r, c})));
  EXPECT_LT(worst, 1e-12);
}

TEST(HexConv2dP6, TurningTheInputTurnsTheMapsAndShiftsTheOrientation) {
  const int64_t k = 2, R = 3, H = 14, W = 14, O = 2;
  for (int64_t centre_col : {6, 7}) {
    const HexAxial centre = offset_to_axial({centre_col, 7});
    auto turn = [&](HexOffset o) {
      const HexAxial a = offset_to_axial(o);
      const HexAxial d = hex_rotate60({a.q - centre.q, a.r - centre.r});
      return axial_to_offset({centre.q + d.q, centre.r + d.r});
    };
    auto inside = [&](HexOffset o, int64_t radius) {
      return hex_distance(offset_to_axial(o), centre) <= radius;
    };
    HexConv2dP6 m(HexConv2dOptions{.in = 1, .out = O, .radius = k}, Rng(8));
    m.to(DType::F64);
    Tensor x = Tensor::zeros(Shape{1, 1, H, W}, DType::F64), xr = x.clone();
    const Tensor noise = test::random_tensor(Shape{1, 1, H, W}, 12, DType::F64);
    for (int64_t r = 0; r < H; ++r)
      for (int64_t c = 0; c < W; ++c)
        if (inside({c, r}, R)) {
          x.data<double>()[r * W + c] = noise.at({0, 0, r, c});
          const HexOffset to = turn({c, r});
          xr.data<double>()[to.row * W + to.col] = noise.at({0, 0, r, c});
        }
    const Tensor y = m(Var(x, false)).value(), yr = m(Var(xr, false)).value();
    double worst = 0, change = 0;
    for (int64_t o = 0; o < O; ++o)
      for (int64_t n = 0; n < 6; ++n)
        for (int64_t r = 0; r < H; ++r)
          for (int64_t c = 0; c < W; ++c) {
            if (!inside({c, r}, R + k)) continue;
            const HexOffset to = turn({c, r});
            const double a = yr.at({0, 6 * o + (n + 1) % 6, to.row, to.col});
            worst = std::max(worst, std::abs(a - y.at({0, 6 * o + n, r, c})));
            change = std::max(change, std::abs(yr.at({0, 6 * o + n, to.row, to.col}) -
                                               y.at({0, 6 * o + n, r, c})));
          }
    EXPECT_LT(worst, 1e-12) << "centre column " << centre_col;
    // Without the orientation shift the maps differ: the check is not vacuous.
    EXPECT_GT(change, 1e-3) << "centre column " << centre_col;
  }
}

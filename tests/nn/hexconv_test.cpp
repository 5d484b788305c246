// Hexagonal grids and HexConv2d: the odd-q conversions against Cartesian geometry, the layer
// against a brute-force sum over the true neighbours (chosen by Cartesian distance), gradients,
// parameter counts, and exact p6 equivariance (60-degree rotations of input and filter taps).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "autograd/gradcheck.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hexconv.hpp"
#include "support/inputs.hpp"
#include "support/throws.hpp"

using namespace physcnn;
using namespace physcnn::nn;
namespace ag = physcnn::autograd;

namespace {

double dist(HexPoint a, HexPoint b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

// A float64 layer with random weights.
std::shared_ptr<HexConv2d> layer(int64_t in, int64_t out, int64_t k, HexBoundary b, uint64_t seed,
                                 int64_t stride = 1) {
  auto m = std::make_shared<HexConv2d>(
      HexConv2dOptions{.in = in, .out = out, .radius = k, .stride = stride, .boundary = b},
      Rng(seed));
  m->to(DType::F64);
  return m;
}

int64_t tap_index(int64_t k, HexAxial d) {
  const auto taps = hex_taps(k);
  for (size_t t = 0; t < taps.size(); ++t)
    if (taps[t] == d) return int64_t(t);
  ADD_FAILURE() << "no tap (" << d.q << ", " << d.r << ") at radius " << k;
  return 0;
}

// y[n,o,r,c] = b[o] + sum over input cells within Cartesian distance k of (r, c) (and, for
// periodic grids, their images shifted by whole periods) of w[o,i,tap] * x[n,i,cell].
Tensor brute_force(const Tensor& x, const Tensor& w, const Tensor& b, int64_t k, bool periodic) {
  const int64_t N = x.size(0), I = x.size(1), H = x.size(2), W = x.size(3), O = w.size(0);
  Tensor y = Tensor::zeros(Shape{N, O, H, W}, DType::F64);
  const int64_t images = periodic ? 1 : 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t r = 0; r < H; ++r)
        for (int64_t c = 0; c < W; ++c) {
          double acc = b.at({o});
          const HexPoint centre = offset_to_cartesian({c, r});
          for (int64_t a = -images; a <= images; ++a)
            for (int64_t bb = -images; bb <= images; ++bb)
              for (int64_t r2 = 0; r2 < H; ++r2)
                for (int64_t c2 = 0; c2 < W; ++c2) {
                  const HexOffset img{c2 + bb * W, r2 + a * H};
                  if (dist(offset_to_cartesian(img), centre) > double(k) + 1e-9) continue;
                  const HexAxial p = offset_to_axial(img), q = offset_to_axial({c, r});
                  const int64_t t = tap_index(k, {p.q - q.q, p.r - q.r});
                  for (int64_t i = 0; i < I; ++i) acc += w.at({o, i, t}) * x.at({n, i, r2, c2});
                }
          y.data<double>()[((n * O + o) * H + r) * W + c] = acc;
        }
  return y;
}

double largest_gap(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  double m = 0;
  for (int64_t i = 0; i < ac.numel(); ++i)
    m = std::max(m, std::abs(ac.data<double>()[i] - bc.data<double>()[i]));
  return m;
}

}  // namespace

TEST(HexGrid, OffsetAxialRoundTripAndNeighboursAreOneApart) {
  for (int64_t c = -5; c <= 5; ++c)
    for (int64_t r = -5; r <= 5; ++r) {
      const HexOffset o{c, r};
      EXPECT_EQ(axial_to_offset(offset_to_axial(o)), o);
      const HexPoint p = offset_to_cartesian(o), pa = axial_to_cartesian(offset_to_axial(o));
      EXPECT_NEAR(p.x, pa.x, 1e-12);
      EXPECT_NEAR(p.y, pa.y, 1e-12);
      for (int64_t c2 = c - 2; c2 <= c + 2; ++c2)
        for (int64_t r2 = r - 2; r2 <= r + 2; ++r2) {
          const double d = dist(p, offset_to_cartesian({c2, r2}));
          const int64_t h = hex_distance(offset_to_axial(o), offset_to_axial({c2, r2}));
          EXPECT_EQ(h == 1, std::abs(d - 1.0) < 1e-9) << c << "," << r << " -> " << c2 << "," << r2;
          EXPECT_EQ(h == 0, d < 1e-9);
        }
    }
  // hexagdly's layout: column 1 sits half a cell below column 0.
  EXPECT_NEAR(offset_to_cartesian({1, 0}).y, 0.5, 1e-15);
  EXPECT_NEAR(offset_to_cartesian({0, 0}).y, 0.0, 1e-15);
}

TEST(HexGrid, RotationBy60DegreesTurnsCartesianPositions) {
  for (const HexAxial a : hex_taps(3)) {
    const HexPoint p = axial_to_cartesian(a), q = axial_to_cartesian(hex_rotate60(a));
    const double c = 0.5, s = std::sqrt(3.0) / 2.0;
    EXPECT_NEAR(q.x, c * p.x - s * p.y, 1e-12);
    EXPECT_NEAR(q.y, s * p.x + c * p.y, 1e-12);
    HexAxial b = a;
    for (int i = 0; i < 6; ++i) b = hex_rotate60(b);
    EXPECT_EQ(b, a);
  }
  for (int64_t k = 0; k <= 4; ++k) EXPECT_EQ(int64_t(hex_taps(k).size()), hex_tap_count(k));
}

TEST(HexConv2d, MatchesBruteForceOverTrueNeighbours) {
  struct Grid {
    int64_t H, W;
  };
  for (const Grid g : {Grid{5, 6}, Grid{6, 8}, Grid{7, 5}, Grid{4, 7}})
    for (int64_t k : {1, 2})
      for (HexBoundary b : {HexBoundary::Zeros, HexBoundary::Periodic}) {
        if (b == HexBoundary::Periodic && g.W % 2) continue;
        auto m = layer(2, 3, k, b, uint64_t(10 * k + g.H));
        const Tensor x = test::random_tensor(Shape{2, 2, g.H, g.W}, 7, DType::F64);
        const Tensor y = (*m)(Var(x, false)).value();
        const Tensor ref =
            brute_force(x, m->weight().value(), m->bias().value(), k, b == HexBoundary::Periodic);
        EXPECT_LT(largest_gap(y, ref), 1e-12)
            << g.H << "x" << g.W << " k=" << k << " periodic=" << (b == HexBoundary::Periodic);
      }
}

// Stride s keeps the centres at input column s*J and row s*m (+ s/2 in odd output columns),
// written out here from hexagdly's description, against the brute-force full-resolution sum.
TEST(HexConv2d, StrideSamplesTheScaledGridOfCentres) {
  struct Case {
    int64_t H, W, k, s;
    HexBoundary b;
  };
  for (const Case& c :
       {Case{7, 9, 1, 2, HexBoundary::Zeros}, Case{8, 10, 2, 3, HexBoundary::Zeros},
        Case{6, 8, 1, 2, HexBoundary::Periodic}, Case{6, 12, 2, 3, HexBoundary::Periodic},
        Case{5, 3, 1, 4, HexBoundary::Zeros}}) {
    auto m = layer(2, 2, c.k, c.b, 21, c.s);
    const Tensor x = test::random_tensor(Shape{2, 2, c.H, c.W}, 8, DType::F64);
    const Tensor y = (*m)(Var(x, false)).value();
    const Tensor full =
        brute_force(x, m->weight().value(), m->bias().value(), c.k, c.b == HexBoundary::Periodic);
    const int64_t WO = (c.W - 1) / c.s + 1;
    const int64_t HO = WO == 1 ? (c.H - 1) / c.s + 1 : (c.H - 1 - c.s / 2) / c.s + 1;
    ASSERT_EQ(y.shape(), (Shape{2, 2, HO, WO})) << c.H << "x" << c.W << " s=" << c.s;
    double worst = 0;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t o = 0; o < 2; ++o)
        for (int64_t i = 0; i < HO; ++i)
          for (int64_t j = 0; j < WO; ++j)
            worst =
                std::max(worst, std::abs(y.at({n, o, i, j}) -
                                         full.at({n, o, c.s * i + (j % 2) * (c.s / 2), c.s * j})));
    EXPECT_LT(worst, 1e-12) << c.H << "x" << c.W << " k=" << c.k << " s=" << c.s;
  }
  // hexagdly's README: a 21x21 input with stride 4 gives a 5x6 output.
  auto m = layer(1, 3, 1, HexBoundary::Zeros, 1, 4);
  EXPECT_EQ((*m)(test::random_var(Shape{1, 1, 21, 21}, 1, DType::F64)).shape(),
            (Shape{1, 3, 5, 6}));
}

TEST(HexConv2d, GradientsMatchFiniteDifferences) {
  for (HexBoundary b : {HexBoundary::Zeros, HexBoundary::Periodic}) {
    auto m = layer(2, 2, 2, b, 3);
    std::vector<Var> inputs{test::random_var(Shape{1, 2, 5, 6}, 5, DType::F64, true), m->weight(),
                            m->bias()};
    const auto r = ag::gradcheck([&m](const std::vector<Var>& v) { return (*m)(v[0]); }, inputs);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.coords_checked, 0);
  }
}

TEST(HexConv2d, ParameterCountIsOnePlusThreeKKPlusOneTapsPerPair) {
  for (int64_t k = 0; k <= 3; ++k) {
    HexConv2d m(HexConv2dOptions{.in = 4, .out = 5, .radius = k});
    EXPECT_EQ(m.parameter_count(), 5 * 4 * (1 + 3 * k * (k + 1)) + 5) << k;
    HexConv2d nb(HexConv2dOptions{.in = 4, .out = 5, .radius = k, .bias = false});
    EXPECT_EQ(nb.parameter_count(), 5 * 4 * (1 + 3 * k * (k + 1))) << k;
  }
}

// p6: rotating an input supported on a hexagon about a cell by 60 degrees, and the filter taps
// by the same rotation, rotates the output. Exact with zero boundaries when the grid holds the
// hexagon grown by the filter radius (no cell of interest sees the border).
TEST(HexConv2d, RotatingInputAndTapsBy60DegreesRotatesTheOutput) {
  const int64_t k = 2, R = 3, H = 14, W = 14;
  for (int64_t centre_col : {6, 7}) {
    const HexAxial centre = offset_to_axial({centre_col, 7});
    auto rotate_about_centre = [&](HexOffset o, int turns) {
      const HexAxial a = offset_to_axial(o);
      HexAxial d{a.q - centre.q, a.r - centre.r};
      for (int i = 0; i < turns; ++i) d = hex_rotate60(d);
      return axial_to_offset({centre.q + d.q, centre.r + d.r});
    };
    auto near_centre = [&](HexOffset o, int64_t radius) {
      return hex_distance(offset_to_axial(o), centre) <= radius;
    };
    auto m = layer(2, 3, k, HexBoundary::Zeros, 11);
    Tensor x = test::random_tensor(Shape{1, 2, H, W}, 9, DType::F64).contiguous();
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t r = 0; r < H; ++r)
        for (int64_t c = 0; c < W; ++c)
          if (!near_centre({c, r}, R)) x.data<double>()[(i * H + r) * W + c] = 0.0;
    const Tensor y = (*m)(Var(x, false)).value().contiguous();
    const auto taps = hex_taps(k);
    for (int turns = 1; turns < 6; ++turns) {
      Tensor xr = Tensor::zeros(x.shape(), DType::F64);
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t r = 0; r < H; ++r)
          for (int64_t c = 0; c < W; ++c) {
            if (!near_centre({c, r}, R)) continue;
            const HexOffset to = rotate_about_centre({c, r}, turns);
            xr.data<double>()[(i * H + to.row) * W + to.col] = x.at({0, i, r, c});
          }
      auto mr = layer(2, 3, k, HexBoundary::Zeros, 11);
      Tensor& wr = mr->weight().value();
      const Tensor& w = m->weight().value();
      for (size_t t = 0; t < taps.size(); ++t) {
        HexAxial d = taps[t];
        for (int i = 0; i < turns; ++i) d = hex_rotate60(d);
        const int64_t tr = tap_index(k, d);
        for (int64_t o = 0; o < 3; ++o)
          for (int64_t i = 0; i < 2; ++i)
            wr.data<double>()[(o * 2 + i) * int64_t(taps.size()) + tr] = w.at({o, i, int64_t(t)});
      }
      const Tensor yr = (*mr)(Var(xr, false)).value();
      double worst = 0;
      int64_t compared = 0;
      for (int64_t o = 0; o < 3; ++o)
        for (int64_t r = 0; r < H; ++r)
          for (int64_t c = 0; c < W; ++c) {
            if (!near_centre({c, r}, R + k)) continue;
            const HexOffset to = rotate_about_centre({c, r}, turns);
            worst = std::max(worst, std::abs(yr.at({0, o, to.row, to.col}) - y.at({0, o, r, c})));
            ++compared;
          }
      EXPECT_EQ(compared, 3 * hex_tap_count(R + k));
      EXPECT_LT(worst, 1e-12) << "centre column " << centre_col << ", " << turns << " turns";
    }
  }
}

TEST(HexConv2d, PeriodicBoundariesNeedAnEvenColumnCount) {
  auto m = layer(1, 1, 1, HexBoundary::Periodic, 1);
  test::expect_error<ShapeError>(
      [&] {
        (*m)(test::random_var(Shape{1, 1, 4, 5}, 1, DType::F64));
      },
      {"even number of columns", "[1,1,4,5]"});
}

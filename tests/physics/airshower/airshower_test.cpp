// The toy surface detector against hand-computed values and exact geometry: the lateral
// distribution and S1000, the shower front, a plane fit to noiseless times giving back the
// direction, hexagonal station spacing (and the hex layers' storage convention), Poisson
// statistics of the signals, saturation, dead stations, and reproducibility per seed.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "nn/hex_grid.hpp"
#include "physics/airshower/generator.hpp"
#include "support/throws.hpp"

using namespace physcnn;
using namespace physcnn::physics::airshower;

namespace {

constexpr double kPi = std::numbers::pi;

Shower shower_from(double energy, double zenith_deg, double azimuth_deg, double cx, double cy) {
  const double t = zenith_deg * kPi / 180, p = azimuth_deg * kPi / 180;
  return {.energy = energy,
          .ux = std::sin(t) * std::cos(p),
          .uy = std::sin(t) * std::sin(p),
          .uz = std::cos(t),
          .core_x = cx,
          .core_y = cy};
}

// Least-squares plane t = a + b x + c y through the stations with a signal; the front moves
// along -u, so u_x = -b c_light and u_y = -c c_light.
void fit_plane(const StationPositions& st, const std::vector<double>& signal,
               const std::vector<double>& time, double& ux, double& uy) {
  double S[3][3] = {}, R[3] = {};
  for (size_t i = 0; i < signal.size(); ++i) {
    if (signal[i] <= 0) continue;
    const double f[3] = {1, st.x[i], st.y[i]};
    for (int a = 0; a < 3; ++a) {
      R[a] += f[a] * time[i];
      for (int b = 0; b < 3; ++b) S[a][b] += f[a] * f[b];
    }
  }
  // Gaussian elimination of the 3x3 normal equations.
  for (int k = 0; k < 3; ++k)
    for (int i = k + 1; i < 3; ++i) {
      const double m = S[i][k] / S[k][k];
      for (int j = k; j < 3; ++j) S[i][j] -= m * S[k][j];
      R[i] -= m * R[k];
    }
  double x[3];
  for (int i = 2; i >= 0; --i) {
    x[i] = R[i];
    for (int j = i + 1; j < 3; ++j) x[i] -= S[i][j] * x[j];
    x[i] /= S[i][i];
  }
  ux = -x[1] * kSpeedOfLight;
  uy = -x[2] * kSpeedOfLight;
}

}  // namespace

TEST(Airshower, LateralDistributionAgainstHandValues) {
  const Ldf ldf;  // beta -2, gamma -0.5: S = S1000 (r/1000)^-2 ((r+700)/1700)^-2.5
  EXPECT_DOUBLE_EQ(ldf(30.0, 1000), 30.0);
  EXPECT_NEAR(ldf(1.0, 500), 9.554966740041127, 1e-12);     // 4 (12/17)^-2.5
  EXPECT_NEAR(ldf(1.0, 2000), 0.07864170156412452, 1e-14);  // 1/4 (27/17)^-2.5
  EXPECT_DOUBLE_EQ(ldf(1.0, 10), ldf(1.0, 50));             // clamped at r_min
  // S38 = (E / 0.186 EeV)^(1/1.031); the attenuation is 1 at 38 degrees.
  EXPECT_NEAR(s1000(0.186, 38 * kPi / 180), 1.0, 1e-12);
  EXPECT_NEAR(s1000(10, 38 * kPi / 180), 47.69303413575969, 1e-9);
  // Vertical: x = 1 - cos^2 38 = sin^2 38; 1 + 0.98 x - 1.68 x^2.
  const double x = std::pow(std::sin(38 * kPi / 180), 2);
  EXPECT_NEAR(s1000(1, 0), std::pow(1 / 0.186, 1 / 1.031) * (1 + 0.98 * x - 1.68 * x * x), 1e-12);
}

TEST(Airshower, FrontGeometryAgainstHandValues) {
  const Shower vertical = shower_from(10, 0, 0, 0, 0);
  // A sphere of R = 12 km centred 12 km above the core: (sqrt(1000^2 + 12000^2) - 12000) / c.
  EXPECT_NEAR(front_time(vertical, 1000, 0, 12000), 138.7445804000032, 1e-9);
  EXPECT_NEAR(front_time(vertical, 0, -1000, 12000), 138.7445804000032, 1e-9);
  EXPECT_DOUBLE_EQ(front_time(vertical, 0, 0, 12000), 0.0);
  EXPECT_DOUBLE_EQ(front_time(vertical, 700, 300, 0), 0.0);  // a plane: all at once
  // 60 degrees from +x: the station at x = +1 km is hit 1000 sin60 / c earlier.
  const Shower inclined = shower_from(10, 60, 0, 0, 0);
  EXPECT_NEAR(front_time(inclined, 1000, 0, 0), -2888.7498023197054, 1e-9);
  EXPECT_NEAR(front_time(inclined, 0, 1000, 0), 0.0, 1e-12);
  // Distances from the axis: perpendicular to the azimuth unchanged, along it shortened by cos.
  EXPECT_NEAR(axis_distance(inclined, 0, 1000), 1000, 1e-9);
  EXPECT_NEAR(axis_distance(inclined, 1000, 0), 500, 1e-9);
  EXPECT_NEAR(axis_distance(vertical, 300, 400), 500, 1e-9);
  // The core shifts everything.
  const Shower moved = shower_from(10, 60, 0, 200, -100);
  EXPECT_NEAR(front_time(moved, 1200, -100, 0), -2888.7498023197054, 1e-9);
  // A curved front reaches the core first among the points of the shower plane.
  EXPECT_GT(front_time(inclined, 500, 0, 12000), front_time(inclined, 500, 0, 0));
}

TEST(Airshower, NoiselessPlaneFrontGivesBackTheDirection) {
  for (const Grid grid : {Grid::Square, Grid::Hex}) {
    ShowerOptions o{.grid = grid,
                    .events = 20,
                    .seed = 3,
                    .curvature = 0,
                    .dead_fraction = 0,
                    .fluctuations = false};
    const ShowerDataset d = generate(o);
    const StationPositions st = station_positions(grid, o.rows, o.cols, o.spacing);
    const size_t S = st.x.size();
    for (int64_t e = 0; e < d.count(); ++e) {
      const std::vector<double> sig(d.signal.begin() + long(e * S),
                                    d.signal.begin() + long((e + 1) * S));
      const std::vector<double> t(d.time.begin() + long(e * S), d.time.begin() + long((e + 1) * S));
      ASSERT_GE(d.triggered[size_t(e)], 3);
      double ux = 0, uy = 0;
      fit_plane(st, sig, t, ux, uy);
      EXPECT_NEAR(ux, d.direction[size_t(e * 3)], 1e-9) << "event " << e;
      EXPECT_NEAR(uy, d.direction[size_t(e * 3 + 1)], 1e-9) << "event " << e;
      // The network's channels: log10(1 + S) and the time in microseconds.
      for (size_t i = 0; i < S; ++i) {
        EXPECT_NEAR(d.x[size_t(e) * 2 * S + i], std::log10(1 + sig[i]), 1e-6);
        EXPECT_NEAR(d.x[size_t(e) * 2 * S + S + i], t[i] / 1000, 1e-6);
      }
      // The targets' layout (train/metric_sets.hpp's airshower).
      EXPECT_NEAR(d.y[size_t(e * 6)], std::log10(d.energy[size_t(e)] / 10), 1e-6);
      EXPECT_NEAR(d.y[size_t(e * 6 + 4)], d.core[size_t(e * 2)] / 1000, 1e-6);
    }
  }
}

TEST(Airshower, HexStationsAreSpacedAsTheHexLayersStoreThem) {
  const double d = 750;
  const int64_t rows = 6, cols = 7;
  const StationPositions st = station_positions(Grid::Hex, rows, cols, d);
  for (int64_t i = 0; i < rows * cols; ++i) {
    int64_t neighbours = 0;
    for (int64_t j = 0; j < rows * cols; ++j) {
      if (i == j) continue;
      const double dist =
          std::hypot(st.x[size_t(i)] - st.x[size_t(j)], st.y[size_t(i)] - st.y[size_t(j)]);
      EXPECT_GT(dist, d - 1e-9);  // nothing closer than the spacing
      neighbours += std::abs(dist - d) < 1e-9;
      // Against nn/hex_grid's Cartesian centres (spacing 1, y downwards).
      const auto a = nn::offset_to_cartesian({.col = i % cols, .row = i / cols});
      const auto b = nn::offset_to_cartesian({.col = j % cols, .row = j / cols});
      EXPECT_NEAR(st.x[size_t(i)] - st.x[size_t(j)], d * (a.x - b.x), 1e-9);
      EXPECT_NEAR(st.y[size_t(i)] - st.y[size_t(j)], -d * (a.y - b.y), 1e-9);
    }
    const int64_t r = i / cols, c = i % cols;
    if (r > 0 && r < rows - 1 && c > 0 && c < cols - 1) {
      EXPECT_EQ(neighbours, 6) << i;
    }
  }
  // The square grid: 4 neighbours at the spacing, the array centred on the origin.
  const StationPositions sq = station_positions(Grid::Square, 9, 9, d);
  EXPECT_NEAR(sq.x[40], 0, 1e-9);
  EXPECT_NEAR(sq.y[40], 0, 1e-9);
  EXPECT_NEAR(sq.x[41] - sq.x[40], d, 1e-9);
  EXPECT_NEAR(sq.y[31] - sq.y[40], d, 1e-9);  // row 3 lies above row 4
}

TEST(Airshower, PoissonDrawsHaveTheirMeanVarianceAndZeroProbability) {
  for (const double mu : {0.7, 3.5, 9.99, 10.0, 40.0, 400.0}) {
    Rng rng(11, uint64_t(mu * 100));
    const int n = 200000;
    double sum = 0, sum2 = 0;
    int zeros = 0;
    for (int i = 0; i < n; ++i) {
      const double k = double(poisson(rng, mu));
      sum += k;
      sum2 += k * k;
      zeros += k == 0;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, mu, 5 * std::sqrt(mu / n)) << "mu " << mu;
    EXPECT_NEAR(var, mu, 5 * std::sqrt((mu + 2 * mu * mu) / n)) << "mu " << mu;
    const double p0 = std::exp(-mu);
    EXPECT_NEAR(zeros / double(n), p0, 5 * std::sqrt(p0 * (1 - p0) / n) + 1e-12) << "mu " << mu;
  }
  Rng rng(1);
  EXPECT_EQ(poisson(rng, 0.0), 0);
}

TEST(Airshower, StationSignalsArePoissonAroundTheLdfSaturatedAndSometimesDead) {
  ShowerOptions o{.threshold = 0, .dead_fraction = 0};
  const StationPositions st = station_positions(o.grid, o.rows, o.cols, o.spacing);
  const Shower sh = shower_from(3, 30, 40, 100, -200);
  const double s1 = s1000(sh.energy, 30 * kPi / 180);
  const int n = 20000;
  std::vector<double> sum(st.x.size()), sum2(st.x.size());
  for (int e = 0; e < n; ++e) {
    Rng rng(5, uint64_t(e));
    const StationRecords r = simulate(sh, o, st, rng);
    for (size_t i = 0; i < st.x.size(); ++i)
      sum[i] += r.signal[i], sum2[i] += r.signal[i] * r.signal[i];
  }
  int checked = 0;
  for (size_t i = 0; i < st.x.size(); ++i) {
    const double mu = o.ldf(s1, axis_distance(sh, st.x[i], st.y[i]));
    if (mu > 0.5 * o.saturation) continue;  // clipped: not Poisson any more
    const double mean = sum[i] / n, var = sum2[i] / n - mean * mean;
    EXPECT_NEAR(mean, mu, 5 * std::sqrt(mu / n) + 1e-12) << "station " << i;
    EXPECT_NEAR(var, mu, 5 * std::sqrt((mu + 2 * mu * mu) / n) + 1e-12) << "station " << i;
    ++checked;
  }
  EXPECT_GT(checked, 70);
  // Saturation: a 100 EeV core station is clipped at the saturation value, never above it.
  o.dead_fraction = 0.25;
  const Shower big = shower_from(100, 0, 0, 0, 0);
  int dead = 0, saturated = 0, draws = 0;
  for (int e = 0; e < 400; ++e) {
    Rng rng(9, uint64_t(e));
    const StationRecords r = simulate(big, o, st, rng);
    for (size_t i = 0; i < st.x.size(); ++i) {
      EXPECT_LE(r.signal[i], o.saturation);
      const double mu = o.ldf(s1000(100, 0), axis_distance(big, st.x[i], st.y[i]));
      if (mu < 200) continue;  // P(0) = e^-200: a zero is a dead station
      ++draws;
      dead += r.signal[i] == 0;
      saturated += r.signal[i] == o.saturation;
    }
  }
  EXPECT_GT(saturated, 0);
  EXPECT_NEAR(dead / double(draws), 0.25, 5 * std::sqrt(0.25 * 0.75 / draws));
}

TEST(Airshower, ReproduciblePerSeedAndThreadCountAndOptionsChecked) {
  const ShowerOptions o{.grid = Grid::Hex, .events = 50, .seed = 4};
  const ShowerDataset a = generate(o);
  const int threads = num_threads();
  set_num_threads(1);
  const ShowerDataset b = generate(o);
  set_num_threads(threads);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  ShowerOptions other = o;
  other.seed = 5;
  EXPECT_NE(generate(other).y, a.y);
  // Arrival directions inside the zenith cut, energies inside the range.
  for (int64_t e = 0; e < a.count(); ++e) {
    EXPECT_GE(a.direction[size_t(e * 3 + 2)], std::cos(60 * kPi / 180) - 1e-12);
    EXPECT_GE(a.energy[size_t(e)], 1.0);
    EXPECT_LE(a.energy[size_t(e)], 100.0);
  }
  test::expect_error<UsageError>([] { generate({.zenith_max = 95}); }, {"--zenith-max", "95"});
  test::expect_error<UsageError>([] { generate({.energy_min = 10, .energy_max = 1}); },
                                 {"--energy-min", "10"});
  test::expect_error<UsageError>([] { generate({.dead_fraction = 1}); }, {"--dead"});
  test::expect_error<UsageError>([] { generate({.rows = 1}); }, {"rows", "1x9"});
}

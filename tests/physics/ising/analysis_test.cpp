// Exact results (Onsager, Yang, elliptic K), statistics on processes with known answers, and the
// crossing / extrapolation fits on synthetic curves with known parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "physics/ising/analysis.hpp"
#include "physics/ising/stats.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

TEST(IsingExactResults, OnsagerYangAndTc) {
  EXPECT_NEAR(kCriticalTemperature, 2.269185314, 1e-9);
  EXPECT_NEAR(2.0 / std::log(1.0 + std::sqrt(2.0)), kCriticalTemperature, 1e-14);
  EXPECT_NEAR(onsager_energy_per_spin(2.0), -1.74556458, 1e-8);
  EXPECT_NEAR(onsager_energy_per_spin(3.0), -0.81730959, 1e-8);
  EXPECT_NEAR(onsager_energy_per_spin(kCriticalTemperature), -std::sqrt(2.0), 1e-12);
  // Continuous through T_c (the K divergence is logarithmic and multiplied by 0).
  EXPECT_NEAR(onsager_energy_per_spin(kCriticalTemperature * (1 + 1e-9)), -std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(onsager_energy_per_spin(kCriticalTemperature * (1 - 1e-9)), -std::sqrt(2.0), 1e-6);
  // Low and high temperature limits: u -> -2 and u -> -2 tanh(1/T) ~ -2/T.
  EXPECT_NEAR(onsager_energy_per_spin(0.3), -2.0, 1e-10);
  EXPECT_NEAR(onsager_energy_per_spin(1000.0), -2.0 / 1000.0, 1e-5);
  EXPECT_NEAR(yang_magnetisation(2.0), 0.91131938, 1e-8);
  EXPECT_EQ(yang_magnetisation(2.5), 0.0);
  EXPECT_NEAR(yang_magnetisation(0.5), 1.0 - std::pow(std::sinh(4.0), -4.0) / 8, 1e-12);
  EXPECT_NEAR(yang_magnetisation(0.3), 1.0, 1e-10);
  EXPECT_NEAR(complete_elliptic_k(0.0), std::numbers::pi / 2, 1e-15);
  EXPECT_NEAR(complete_elliptic_k(1.0 / std::sqrt(2.0)), 1.8540746773013719, 1e-14);
  EXPECT_THROW(complete_elliptic_k(1.0), UsageError);
  EXPECT_THROW(onsager_energy_per_spin(0.0), UsageError);
}

namespace {
// AR(1) chains x_t = phi x_{t-1} + noise: tau_int = (1 + phi) / (2 (1 - phi)).
std::vector<std::vector<double>> ar1(double phi, int chains, int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<double>> out(static_cast<size_t>(chains));
  for (auto& ch : out) {
    double x = rng.normal() / std::sqrt(1 - phi * phi);
    for (int i = 0; i < n; ++i) {
      x = phi * x + rng.normal();
      ch.push_back(x);
    }
  }
  return out;
}
}  // namespace

TEST(IsingStats, AutocorrelationTimeOfAr1) {
  for (double phi : {0.0, 0.5, 0.9}) {
    const double expected = (1 + phi) / (2 * (1 - phi));
    const auto tau = integrated_autocorrelation_time(ar1(phi, 16, 20000, 3));
    SCOPED_TRACE(::testing::Message() << "phi=" << phi << " tau=" << tau.tau << "+-" << tau.error
                                      << " W=" << tau.window);
    EXPECT_TRUE(tau.reliable);
    // Sokal's window leaves a bias ~ exp(-W/tau) (here < 1 %) on top of the statistical error.
    EXPECT_NEAR(tau.tau, expected, 4 * tau.error + 0.02 * expected);
  }
  const auto flat = integrated_autocorrelation_time({std::vector<double>(100, 1.0)});
  EXPECT_EQ(flat.tau, 0.5);
}

TEST(IsingStats, BinningErrorMatchesTheoryForAr1) {
  // sigma(mean) = sqrt(2 tau var / n), var = 1 / (1 - phi^2); phi = 0.9: tau = 9.5.
  const double phi = 0.9, n = 1 << 17;
  const double expected = std::sqrt(2 * 9.5 / (1 - phi * phi) / n);
  const Estimate e = binned_mean(ar1(phi, 1, int(n), 8)[0]);
  EXPECT_NEAR(e.error, expected, 0.35 * expected);  // 32-63 bins: error of the error ~13-18 %
  EXPECT_NEAR(e.mean, 0.0, 4 * expected);
  // The naive error would be sqrt(19) ~ 4.4x too small; binning must not report that.
  EXPECT_GT(e.error, 2.5 * std::sqrt(1 / (1 - phi * phi) / n));
}

TEST(IsingStats, JackknifeOfVariance) {
  Rng rng(4);
  std::vector<double> x, x2;
  for (int i = 0; i < 64000; ++i) {
    const double v = 2.0 * rng.normal();
    x.push_back(v);
    x2.push_back(v * v);
  }
  const Estimate var =
      binned_jackknife({x, x2}, [](const std::vector<double>& m) { return m[1] - m[0] * m[0]; });
  // Var of a normal with sigma 2 is 4; the standard error of a sample variance is 4 sqrt(2/n).
  const double se = 4 * std::sqrt(2.0 / 64000);
  EXPECT_NEAR(var.mean, 4.0, 4 * se);
  EXPECT_NEAR(var.error, se, 0.4 * se);
  EXPECT_THROW(binned_jackknife({x, std::vector<double>(10)}, [](auto&) { return 0.0; }),
               UsageError);
}

namespace {
double logistic(double T, double tstar, double w) {
  return 0.5 * (1 - std::tanh((T - tstar) / w));
}
}  // namespace

TEST(IsingAnalysis, CrossingRecoversKnownTemperature) {
  Rng rng(21);
  std::vector<double> T, P, E;
  for (int i = 0; i < 31; ++i) {
    T.push_back(1.5 + 0.05 * i);
    const double err = 0.01 + 0.01 * rng.uniform();
    P.push_back(logistic(T.back(), 2.31, 0.12) + err * rng.normal());
    E.push_back(err);
  }
  const CrossingResult r = find_crossing(T, P, E, {.bootstrap_samples = 300, .seed = 1});
  EXPECT_NEAR(r.temperature, 2.31, 4 * r.error);
  EXPECT_LT(r.error, 0.02);
  EXPECT_NEAR(r.width, 0.12, 0.03);
  EXPECT_NEAR(r.error, r.fit_error, 0.5 * r.fit_error);  // bootstrap and covariance agree
  EXPECT_LT(r.chi2, 31 + 4 * std::sqrt(2 * 29.0));
  // Noise-free data: exact recovery; an increasing curve gives a negative width; a window works.
  std::vector<double> up;
  for (double t : T) up.push_back(logistic(t, 2.2, -0.1));
  const CrossingResult u = find_crossing(T, up, std::vector<double>(T.size(), 0.01),
                                         {.window = 0.4, .bootstrap_samples = 0});
  EXPECT_NEAR(u.temperature, 2.2, 1e-6);
  EXPECT_NEAR(u.width, -0.1, 1e-6);
  EXPECT_LT(u.points, int64_t(T.size()));
}

TEST(IsingAnalysis, CrossingBadInput) {
  const std::vector<double> T = {1, 2, 3}, P = {0.9, 0.8, 0.7}, E = {0.1, 0.1, 0.1};
  EXPECT_THROW(find_crossing(T, P, E), UsageError);  // never crosses 1/2
  EXPECT_THROW(find_crossing(T, {0.9, 0.1}, E), UsageError);
  EXPECT_THROW(find_crossing(T, {0.9, 0.5, 0.1}, {0.1, -0.1, 0.1}), UsageError);
  EXPECT_THROW(find_crossing(T, {0.9, NAN, 0.1}, E), UsageError);
  // Saturated points with zero error are accepted (raised to min_error).
  const CrossingResult r = find_crossing({1, 2, 3, 4}, {1.0, 0.8, 0.2, 0.0}, {0, 0.05, 0.05, 0},
                                         {.bootstrap_samples = 0});
  EXPECT_NEAR(r.temperature, 2.5, 1e-6);  // symmetric data cross in the middle
  EXPECT_THROW(find_crossing({3, 2, 1}, {0.9, 0.5, 0.1}, E), UsageError);
}

TEST(IsingAnalysis, ExtrapolationRecoversTc) {
  const std::vector<int64_t> sizes = {8, 16, 24, 32, 48, 64};
  std::vector<double> exact, noisy, err;
  Rng rng(5);
  for (int64_t L : sizes) {
    exact.push_back(2.269185 + 0.9 / double(L));
    err.push_back(0.004);
    noisy.push_back(exact.back() + 0.004 * rng.normal());
  }
  const ExtrapolationResult e = extrapolate_critical_temperature(sizes, exact, err);
  EXPECT_NEAR(e.critical_temperature, 2.269185, 1e-12);
  EXPECT_NEAR(e.slope, 0.9, 1e-10);
  EXPECT_NEAR(e.chi2, 0.0, 1e-12);
  EXPECT_EQ(e.dof, 4);
  const ExtrapolationResult n = extrapolate_critical_temperature(sizes, noisy, err);
  EXPECT_NEAR(n.critical_temperature, 2.269185, 4 * n.error);
  EXPECT_GT(n.error, 0.004 / std::sqrt(6.0));  // cannot beat averaging all six points
  EXPECT_LT(n.error, 0.02);
  // nu = 2: x = L^(-1/2).
  std::vector<double> half;
  for (int64_t L : sizes) half.push_back(2.0 + 1.0 / std::sqrt(double(L)));
  EXPECT_NEAR(extrapolate_critical_temperature(sizes, half, err, 2.0).critical_temperature, 2.0,
              1e-12);
  EXPECT_THROW(extrapolate_critical_temperature({16, 16}, {2.3, 2.3}, {0.1, 0.1}), UsageError);
  EXPECT_THROW(extrapolate_critical_temperature({16}, {2.3}, {0.1}), UsageError);
  EXPECT_THROW(extrapolate_critical_temperature({16, 32}, {2.3, 2.29}, {0.1, -1.0}), UsageError);
}

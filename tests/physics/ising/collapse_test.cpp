// Finite-size scaling fits on synthetic data with known T_c and nu: the collapse recovers both,
// the crossing extrapolation with and without the 1/L^2 term.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "physics/ising/collapse.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {
// The collapse model with T_c, nu, w, s.
double scaling(double T, int64_t L, double tc, double nu, double w, double s) {
  return 0.5 * (1 - std::tanh((T - tc) * std::pow(double(L), 1 / nu) / w - s));
}
}  // namespace

TEST(IsingCollapse, RecoversTcAndNu) {
  for (const double nu : {1.0, 0.8}) {
    std::vector<CollapsePoint> exact, noisy;
    Rng rng(7);
    for (int64_t L : {16, 32, 64})
      for (int i = 0; i <= 24; ++i) {
        const double T = 2.0 + 0.02 * i, p = scaling(T, L, 2.269, nu, 1.5, 0.4);
        exact.push_back({L, T, p, 0.01});
        noisy.push_back({L, T, p + 0.01 * rng.normal(), 0.01});
      }
    const CollapseResult e = fit_collapse(exact, 2.25);
    EXPECT_NEAR(e.critical_temperature, 2.269, 1e-6);
    EXPECT_NEAR(e.nu, nu, 1e-5);
    EXPECT_NEAR(e.width, 1.5, 1e-4);
    EXPECT_NEAR(e.shift, 0.4, 1e-4);
    EXPECT_LT(e.chi2, 1e-8);
    EXPECT_EQ(e.dof, 75 - 4);
    const CollapseResult n = fit_collapse(noisy, 2.25);
    EXPECT_NEAR(n.critical_temperature, 2.269, 4 * n.tc_fit_error);
    EXPECT_NEAR(n.nu, nu, 4 * n.nu_fit_error);
    EXPECT_LT(n.nu_fit_error, 0.1);
    EXPECT_LT(n.chi2, 71 + 5 * std::sqrt(2 * 71.0));
  }
  EXPECT_THROW(fit_collapse({{16, 2.2, 0.6, 0.01}, {16, 2.3, 0.4, 0.01}}, 2.25), UsageError);
  std::vector<CollapsePoint> one_size;
  for (int i = 0; i < 8; ++i) one_size.push_back({16, 2.0 + 0.1 * i, 0.5, 0.01});
  EXPECT_THROW(fit_collapse(one_size, 2.25), UsageError);  // one L cannot fix nu
}

TEST(IsingCollapse, CrossingFitsWithAndWithoutCorrection) {
  const std::vector<int64_t> sizes = {16, 32, 64, 128};
  std::vector<double> lin, quad;
  for (int64_t L : sizes) {
    const double x = 1.0 / double(L);
    lin.push_back(2.269185 - 0.6 * x);
    quad.push_back(2.269185 - 0.6 * x + 10.0 * x * x);
  }
  const std::vector<double> err(4, 0.001);
  const CrossingFit l = fit_crossings(sizes, lin, err, false);
  EXPECT_NEAR(l.critical_temperature, 2.269185, 1e-10);
  EXPECT_NEAR(l.a, -0.6, 1e-8);
  EXPECT_LT(l.chi2, 1e-12);
  EXPECT_EQ(l.dof, 2);
  // The curved data: the linear model misses T_c and says so by chi2; the quadratic one is exact.
  const CrossingFit bad = fit_crossings(sizes, quad, err, false);
  EXPECT_GT(std::fabs(bad.critical_temperature - 2.269185), 0.003);
  EXPECT_GT(bad.chi2, 10.0);
  const CrossingFit q = fit_crossings(sizes, quad, err, true);
  EXPECT_NEAR(q.critical_temperature, 2.269185, 1e-9);
  EXPECT_NEAR(q.b, 10.0, 1e-6);
  EXPECT_GT(q.error, l.error);  // a third parameter costs precision
  EXPECT_EQ(q.dof, 1);
  EXPECT_THROW(fit_crossings({16, 32}, {2.2, 2.25}, {0.01, 0.01}, true), UsageError);
  EXPECT_THROW(fit_crossings({16, 16, 16}, {2.2, 2.2, 2.2}, {0.01, 0.01, 0.01}, false), UsageError);
  EXPECT_THROW(fit_crossings({16, 32}, {2.2, 2.25}, {0.01, 0.0}, false), UsageError);
}

// Finite-size scaling of the network's output: the data collapse of P(T, L) onto one curve of
// (T - T_c) L^(1/nu), and the extrapolation of crossings with the leading correction to scaling.
#pragma once

#include <cstdint>
#include <vector>

namespace physcnn::physics::ising {

struct CollapsePoint {
  int64_t size = 0;  // L
  double temperature = 0, p = 0, error = 0;
};

struct CollapseResult {
  double critical_temperature = 0, nu = 0;
  double width = 0, shift = 0;                // of the scaling function (see fit_collapse)
  double tc_fit_error = 0, nu_fit_error = 0;  // from the fit's covariance (not rescaled)
  double chi2 = 0;
  int64_t dof = 0;
};

// Weighted least-squares collapse of the points onto P = (1 - tanh(x / w - s)) / 2 with
// x = (T - T_c) L^(1/nu): one scaling function for every L, four parameters (T_c, nu, w, s).
// The crossing of size L is then T*(L) = T_c + s w L^(-1/nu). Levenberg-Marquardt started from
// `tc0`, nu0 = 1; errors below min_error are raised to it. Needs >= 2 sizes and >= 6 points.
CollapseResult fit_collapse(const std::vector<CollapsePoint>& points, double tc0,
                            double min_error = 1e-3);

struct CrossingFit {
  double critical_temperature = 0, error = 0;  // error from the fit covariance
  double a = 0, b = 0;                         // T*(L) = T_c + a / L + b / L^2
  double chi2 = 0;
  int64_t dof = 0;
  bool quadratic = false;  // whether the 1/L^2 term is in the model
};

// Weighted fit of T*(L) = T_c + a/L (quadratic = false) or T_c + a/L + b/L^2 (quadratic = true).
// With as many sizes as parameters the fit is exact (chi2 = 0, dof = 0).
CrossingFit fit_crossings(const std::vector<int64_t>& sizes, const std::vector<double>& crossing,
                          const std::vector<double>& error, bool quadratic);

}  // namespace physcnn::physics::ising

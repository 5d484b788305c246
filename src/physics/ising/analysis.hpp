// Numerics of the phase-transition study: Onsager's and Yang's exact results, the temperature
// where a network's output crosses 1/2, and the finite-size extrapolation of that crossing.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/ising/lattice.hpp"

namespace physcnn::physics::ising {

// Complete elliptic integral of the first kind K(k) (modulus k, 0 <= k < 1) by the
// arithmetic-geometric mean: K = pi / (2 AGM(1, sqrt(1 - k^2))) (Abramowitz & Stegun 17.6).
double complete_elliptic_k(double k);

// Onsager's energy per spin of the infinite lattice (h = 0, J = 1):
// u = -coth(2b) [1 + (2/pi) (2 tanh^2(2b) - 1) K(kappa)], b = 1/T, kappa = 2 sinh(2b)/cosh^2(2b).
double onsager_energy_per_spin(double temperature);
// Yang's spontaneous magnetisation (1 - sinh(2/T)^-4)^(1/8) below T_c, 0 above.
double yang_magnetisation(double temperature);

struct CrossingOptions {
  double window = 0.0;  // fit only points with |T - T_0| <= window (0: all points)
  int64_t bootstrap_samples = 200;
  uint64_t seed = 0;  // for the bootstrap
  // Errors below this are raised to it: a mean of saturated network outputs can have a standard
  // error of exactly 0, which would give that point infinite weight.
  double min_error = 1e-4;
};

struct CrossingResult {
  double temperature = 0.0;  // T* where the fitted curve equals 1/2
  double error = 0.0;        // bootstrap standard deviation of T*
  double fit_error = 0.0;    // from the fit's covariance matrix
  double width = 0.0;        // w of the model; negative for an increasing curve
  double chi2 = 0.0;
  int64_t points = 0;  // points used in the fit
};

// The crossing of P(T) (per-point standard errors `error`, all >= 0) with 1/2. Model:
// P(T) = (1 - tanh((T - T*) / w)) / 2, fitted by weighted least squares (Levenberg-Marquardt),
// started from linear interpolation at the first sign change of P - 1/2 (T_0). It is the shape
// a softmax output takes across a transition, and fits its two tails symmetrically. The error is
// a parametric bootstrap: P_i -> P_i + error_i * N(0,1), refit, standard deviation of T*.
CrossingResult find_crossing(const std::vector<double>& temperatures, const std::vector<double>& p,
                             const std::vector<double>& error, const CrossingOptions& options = {});

struct ExtrapolationResult {
  double critical_temperature = 0.0;  // T_c = T*(L -> infinity)
  double error = 0.0;
  double slope = 0.0;  // a in T*(L) = T_c + a L^(-1/nu)
  double slope_error = 0.0;
  double chi2 = 0.0;
  int64_t dof = 0;
};

// Weighted linear fit of T*(L) = T_c + a x with x = L^(-1/nu) (nu = 1 for the 2D Ising model).
// Errors come from the fit covariance (not rescaled by chi2/dof; compare chi2 with dof).
ExtrapolationResult extrapolate_critical_temperature(const std::vector<int64_t>& sizes,
                                                     const std::vector<double>& crossing,
                                                     const std::vector<double>& error,
                                                     double nu = 1.0);

}  // namespace physcnn::physics::ising

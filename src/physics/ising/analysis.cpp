// Exact 2D Ising results, crossing fits with a bootstrap, and the finite-size extrapolation.
#include "physics/ising/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace physcnn::physics::ising {

namespace {
// K as a function of the complementary modulus k' = sqrt(1 - k^2) > 0.
double elliptic_k_complementary(double kprime) {
  double a = 1.0, b = kprime;
  while (std::fabs(a - b) > 1e-15 * a) {  // converges quadratically: ~5 steps
    const double an = 0.5 * (a + b);
    b = std::sqrt(a * b);
    a = an;
  }
  return std::numbers::pi / (2.0 * a);
}
}  // namespace

double complete_elliptic_k(double k) {
  PHYSCNN_CHECK_ARG(k >= 0.0 && k < 1.0,
                    "complete_elliptic_k: modulus must be in [0, 1), got k=", k);
  return elliptic_k_complementary(std::sqrt((1.0 - k) * (1.0 + k)));
}

double onsager_energy_per_spin(double temperature) {
  check_temperature("onsager_energy_per_spin", temperature);
  const double b2 = 2.0 / temperature, s = std::sinh(b2), c = std::cosh(b2);
  // With s = sinh(2b): 1 - kappa^2 = (1 - s^2)^2 / cosh^4, so the complementary modulus is
  // |1 - s^2| / cosh^2 without cancellation near T_c; 2 tanh^2 - 1 = (s^2 - 1) / cosh^2.
  const double kprime = std::fabs(1.0 - s * s) / (c * c);
  const double coth = c / s;
  if (kprime == 0.0) return -coth;  // exactly T_c: the log-divergent K is multiplied by 0
  const double K = elliptic_k_complementary(kprime);
  return -coth * (1.0 + 2.0 / std::numbers::pi * (s * s - 1.0) / (c * c) * K);
}

double yang_magnetisation(double temperature) {
  check_temperature("yang_magnetisation", temperature);
  if (temperature >= kCriticalTemperature) return 0.0;
  const double s = std::sinh(2.0 / temperature);
  return std::pow(1.0 - std::pow(s, -4.0), 0.125);
}

namespace {

struct Fit {
  double t0, w, chi2, var_t0;
};

double model(double T, double t0, double w) {
  return 0.5 * (1.0 - std::tanh((T - t0) / w));
}

double chi2_of(const std::vector<double>& T, const std::vector<double>& p,
               const std::vector<double>& e, double t0, double w) {
  double s = 0.0;
  for (size_t i = 0; i < T.size(); ++i) {
    const double r = (p[i] - model(T[i], t0, w)) / e[i];
    s += r * r;
  }
  return s;
}

// Levenberg-Marquardt on the two parameters (t0, w).
Fit fit_tanh(const std::vector<double>& T, const std::vector<double>& p,
             const std::vector<double>& e, double t0, double w, double w_min) {
  double lambda = 1e-3, chi2 = chi2_of(T, p, e, t0, w);
  double a00 = 0, a01 = 0, a11 = 0;
  for (int iter = 0; iter < 200; ++iter) {
    double g0 = 0, g1 = 0;
    a00 = a01 = a11 = 0;
    for (size_t i = 0; i < T.size(); ++i) {
      const double z = (T[i] - t0) / w, sech2 = 1.0 - std::tanh(z) * std::tanh(z);
      const double d0 = 0.5 * sech2 / w / e[i], d1 = 0.5 * sech2 * z / w / e[i];  // df/dt0, df/dw
      const double r = (p[i] - model(T[i], t0, w)) / e[i];
      a00 += d0 * d0;
      a01 += d0 * d1;
      a11 += d1 * d1;
      g0 += d0 * r;
      g1 += d1 * r;
    }
    bool improved = false;
    for (int tries = 0; tries < 30 && !improved; ++tries) {
      const double m00 = a00 * (1 + lambda), m11 = a11 * (1 + lambda), det = m00 * m11 - a01 * a01;
      if (!(std::fabs(det) > 0)) break;
      const double dt = (m11 * g0 - a01 * g1) / det, dw = (m00 * g1 - a01 * g0) / det;
      double nw = w + dw;
      if (std::fabs(nw) < w_min) nw = std::copysign(w_min, nw == 0 ? w : nw);
      const double nchi2 = chi2_of(T, p, e, t0 + dt, nw);
      if (nchi2 <= chi2) {
        const bool converged = chi2 - nchi2 < 1e-12 * (1.0 + chi2);
        t0 += dt;
        w = nw;
        chi2 = nchi2;
        lambda = std::max(lambda * 0.3, 1e-12);
        improved = true;
        if (converged) iter = 1 << 20;
      } else {
        lambda *= 10.0;
      }
    }
    if (!improved) break;
  }
  const double det = a00 * a11 - a01 * a01;
  return {t0, w, chi2, det > 0 ? a11 / det : 0.0};
}

}  // namespace

CrossingResult find_crossing(const std::vector<double>& temperatures, const std::vector<double>& p,
                             const std::vector<double>& error, const CrossingOptions& options) {
  const size_t n = temperatures.size();
  PHYSCNN_CHECK_ARG(p.size() == n && error.size() == n, "find_crossing: ", n, " temperatures, ",
                    p.size(), " values, ", error.size(), " errors (must be equal)");
  PHYSCNN_CHECK_ARG(
      options.bootstrap_samples >= 0 && options.window >= 0.0 && options.min_error > 0.0,
      "find_crossing: bootstrap_samples and window must be >= 0, min_error > 0 (got ",
      options.bootstrap_samples, ", ", options.window, ", ", options.min_error, ")");
  for (size_t i = 0; i < n; ++i) {
    PHYSCNN_CHECK_ARG(error[i] >= 0.0 && std::isfinite(error[i]) && std::isfinite(p[i]) &&
                          std::isfinite(temperatures[i]),
                      "find_crossing: point ", i, " (T=", temperatures[i], ", P=", p[i],
                      ", error=", error[i], ") needs finite values and error >= 0");
    PHYSCNN_CHECK_ARG(i == 0 || temperatures[i] > temperatures[i - 1],
                      "find_crossing: temperatures must increase (point ", i, ")");
  }
  // T_0: linear interpolation at the first sign change of P - 1/2.
  double t0 = 0.0, slope = 0.0;
  bool found = false;
  for (size_t i = 0; i + 1 < n && !found; ++i) {
    const double a = p[i] - 0.5, b = p[i + 1] - 0.5;
    if (a == 0.0 || a * b < 0.0) {
      slope = (p[i + 1] - p[i]) / (temperatures[i + 1] - temperatures[i]);
      t0 = a == 0.0 ? temperatures[i] : temperatures[i] - a / slope;
      found = true;
    }
  }
  PHYSCNN_CHECK_ARG(found, "find_crossing: P(T) never crosses 1/2 over ", n, " points");
  std::vector<double> T, P, E;
  for (size_t i = 0; i < n; ++i) {
    if (options.window > 0.0 && std::fabs(temperatures[i] - t0) > options.window) continue;
    T.push_back(temperatures[i]);
    P.push_back(p[i]);
    E.push_back(std::max(error[i], options.min_error));
  }
  PHYSCNN_CHECK_ARG(T.size() >= 3, "find_crossing: only ", T.size(), " points within window ",
                    options.window, " of T_0=", t0, " (need >= 3)");
  const double range = T.back() - T.front();
  const double w0 = slope != 0.0 ? -1.0 / (2.0 * slope) : range / 10.0;
  const double w_min = 1e-6 * range;
  const Fit best = fit_tanh(T, P, E, t0, w0, w_min);
  CrossingResult result{best.t0, 0.0, std::sqrt(best.var_t0), best.w, best.chi2, int64_t(T.size())};
  if (options.bootstrap_samples > 1) {
    Rng rng(options.seed);
    double s = 0.0, s2 = 0.0;
    std::vector<double> Pb(P.size());
    for (int64_t b = 0; b < options.bootstrap_samples; ++b) {
      for (size_t i = 0; i < P.size(); ++i) Pb[i] = P[i] + E[i] * rng.normal();
      const double tb = fit_tanh(T, Pb, E, best.t0, best.w, w_min).t0;
      s += tb;
      s2 += tb * tb;
    }
    const double B = double(options.bootstrap_samples), m = s / B;
    result.error = std::sqrt(std::max(0.0, (s2 - B * m * m) / (B - 1.0)));
  }
  return result;
}

ExtrapolationResult extrapolate_critical_temperature(const std::vector<int64_t>& sizes,
                                                     const std::vector<double>& crossing,
                                                     const std::vector<double>& error, double nu) {
  const size_t n = sizes.size();
  PHYSCNN_CHECK_ARG(crossing.size() == n && error.size() == n,
                    "extrapolate_critical_temperature: ", n, " sizes, ", crossing.size(),
                    " crossings, ", error.size(), " errors (must be equal)");
  PHYSCNN_CHECK_ARG(n >= 2, "extrapolate_critical_temperature: need >= 2 lattice sizes, got ", n);
  PHYSCNN_CHECK_ARG(nu > 0.0, "extrapolate_critical_temperature: nu must be > 0, got ", nu);
  double S = 0, Sx = 0, Sxx = 0, Sy = 0, Sxy = 0;
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) {
    PHYSCNN_CHECK_ARG(sizes[i] > 0 && error[i] > 0.0, "extrapolate_critical_temperature: point ", i,
                      " has L=", sizes[i], ", error=", error[i], " (both must be > 0)");
    x[i] = std::pow(double(sizes[i]), -1.0 / nu);
    const double w = 1.0 / (error[i] * error[i]);
    S += w;
    Sx += w * x[i];
    Sxx += w * x[i] * x[i];
    Sy += w * crossing[i];
    Sxy += w * x[i] * crossing[i];
  }
  const double det = S * Sxx - Sx * Sx;
  PHYSCNN_CHECK_ARG(det > 1e-12 * S * Sxx, "extrapolate_critical_temperature: needs at least two ",
                    "distinct lattice sizes");
  ExtrapolationResult r;
  r.critical_temperature = (Sxx * Sy - Sx * Sxy) / det;
  r.slope = (S * Sxy - Sx * Sy) / det;
  r.error = std::sqrt(Sxx / det);
  r.slope_error = std::sqrt(S / det);
  for (size_t i = 0; i < n; ++i) {
    const double res = (crossing[i] - r.critical_temperature - r.slope * x[i]) / error[i];
    r.chi2 += res * res;
  }
  r.dof = int64_t(n) - 2;
  return r;
}

}  // namespace physcnn::physics::ising

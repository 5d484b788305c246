// Data collapse and crossing extrapolation (finite-size scaling).
#include "physics/ising/collapse.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "core/error.hpp"

namespace physcnn::physics::ising {

namespace {

// Solves the n x n system A x = g (A symmetric positive definite) by Gaussian elimination with
// partial pivoting; false when singular.
template <size_t N>
bool solve(std::array<std::array<double, N>, N> A, std::array<double, N> g,
           std::array<double, N>& x) {
  for (size_t c = 0; c < N; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < N; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    if (!(std::fabs(A[piv][c]) > 1e-300)) return false;
    std::swap(A[c], A[piv]);
    std::swap(g[c], g[piv]);
    for (size_t r = c + 1; r < N; ++r) {
      const double f = A[r][c] / A[c][c];
      for (size_t k = c; k < N; ++k) A[r][k] -= f * A[c][k];
      g[r] -= f * g[c];
    }
  }
  for (size_t c = N; c-- > 0;) {
    double s = g[c];
    for (size_t k = c + 1; k < N; ++k) s -= A[c][k] * x[k];
    x[c] = s / A[c][c];
  }
  return true;
}

template <size_t N>
std::array<std::array<double, N>, N> inverse(const std::array<std::array<double, N>, N>& A) {
  std::array<std::array<double, N>, N> inv{};
  for (size_t c = 0; c < N; ++c) {
    std::array<double, N> e{}, x{};
    e[c] = 1.0;
    if (!solve<N>(A, e, x)) return {};
    for (size_t r = 0; r < N; ++r) inv[r][c] = x[r];
  }
  return inv;
}

using Params = std::array<double, 4>;  // T_c, nu, w, s

// Residuals (p - f) / e and their derivatives with respect to the parameters.
double collapse_chi2(const std::vector<CollapsePoint>& pts, const std::vector<double>& err,
                     const Params& q, std::array<std::array<double, 4>, 4>* JtJ,
                     std::array<double, 4>* Jtr) {
  const auto [tc, nu, w, s] = q;
  double chi2 = 0;
  if (JtJ) *JtJ = {};
  if (Jtr) *Jtr = {};
  for (size_t i = 0; i < pts.size(); ++i) {
    const double lnL = std::log(double(pts[i].size)), scale = std::exp(lnL / nu);
    const double x = (pts[i].temperature - tc) * scale, z = x / w - s, th = std::tanh(z);
    const double r = (pts[i].p - 0.5 * (1.0 - th)) / err[i];
    chi2 += r * r;
    if (!JtJ) continue;
    // df/dz = -sech^2(z) / 2; the residual's derivative is -df/dq / e.
    const double dfdz = -0.5 * (1.0 - th * th);
    const std::array<double, 4> dz = {-scale / w, -x * lnL / (nu * nu) / w, -x / (w * w), -1.0};
    std::array<double, 4> d{};
    for (size_t k = 0; k < 4; ++k) d[k] = dfdz * dz[k] / err[i];  // df/dq / e
    for (size_t a = 0; a < 4; ++a) {
      (*Jtr)[a] += d[a] * r;
      for (size_t b = 0; b < 4; ++b) (*JtJ)[a][b] += d[a] * d[b];
    }
  }
  return chi2;
}

}  // namespace

CollapseResult fit_collapse(const std::vector<CollapsePoint>& points, double tc0,
                            double min_error) {
  std::set<int64_t> sizes;
  std::vector<double> err;
  for (const auto& p : points) {
    PHYSCNN_CHECK_ARG(p.size > 1 && std::isfinite(p.temperature) && std::isfinite(p.p) &&
                          std::isfinite(p.error) && p.error >= 0,
                      "fit_collapse: point (L=", p.size, ", T=", p.temperature, ", P=", p.p,
                      ", error=", p.error, ") needs L > 1, finite values and error >= 0");
    sizes.insert(p.size);
    err.push_back(std::max(p.error, min_error));
  }
  PHYSCNN_CHECK_ARG(sizes.size() >= 2 && points.size() >= 6, "fit_collapse: needs >= 2 sizes and ",
                    ">= 6 points, got ", sizes.size(), " sizes and ", points.size(), " points");
  // Start: w from the steepest-descent width of the largest size scaled back (w ~ 1 in units
  // of L^(1/nu) for the 2D Ising model), s = 0.
  Params q = {tc0, 1.0, 1.0, 0.0};
  double lambda = 1e-3;
  std::array<std::array<double, 4>, 4> A{};
  std::array<double, 4> g{};
  double chi2 = collapse_chi2(points, err, q, &A, &g);
  for (int iter = 0; iter < 500; ++iter) {
    bool improved = false;
    for (int tries = 0; tries < 40 && !improved; ++tries) {
      auto M = A;
      for (size_t k = 0; k < 4; ++k) M[k][k] *= 1.0 + lambda;
      std::array<double, 4> step{};
      if (!solve<4>(M, g, step)) {
        lambda *= 10.0;
        continue;
      }
      // The residual derivative is -df/dq, so the Gauss-Newton step is +step.
      Params n = q;
      for (size_t k = 0; k < 4; ++k) n[k] += step[k];
      if (!(n[1] > 0.05 && n[1] < 20.0 && std::fabs(n[2]) > 1e-6)) {
        lambda *= 10.0;
        continue;
      }
      const double nchi2 = collapse_chi2(points, err, n, nullptr, nullptr);
      if (nchi2 <= chi2) {
        const bool converged = chi2 - nchi2 < 1e-12 * (1.0 + chi2);
        q = n;
        chi2 = collapse_chi2(points, err, q, &A, &g);
        lambda = std::max(lambda * 0.3, 1e-12);
        improved = true;
        if (converged) iter = 1 << 20;
      } else {
        lambda *= 10.0;
      }
    }
    if (!improved) break;
  }
  const auto C = inverse<4>(A);
  CollapseResult r;
  r.critical_temperature = q[0];
  r.nu = q[1];
  r.width = q[2];
  r.shift = q[3];
  r.tc_fit_error = std::sqrt(std::max(0.0, C[0][0]));
  r.nu_fit_error = std::sqrt(std::max(0.0, C[1][1]));
  r.chi2 = chi2;
  r.dof = int64_t(points.size()) - 4;
  return r;
}

CrossingFit fit_crossings(const std::vector<int64_t>& sizes, const std::vector<double>& crossing,
                          const std::vector<double>& error, bool quadratic) {
  const size_t n = sizes.size(), m = quadratic ? 3 : 2;
  PHYSCNN_CHECK_ARG(crossing.size() == n && error.size() == n, "fit_crossings: ", n, " sizes, ",
                    crossing.size(), " crossings, ", error.size(), " errors (must be equal)");
  PHYSCNN_CHECK_ARG(n >= m, "fit_crossings: the ", quadratic ? "T_c + a/L + b/L^2" : "T_c + a/L",
                    " fit needs >= ", m, " lattice sizes, got ", n);
  std::array<std::array<double, 3>, 3> A{};
  std::array<double, 3> g{};
  for (size_t i = 0; i < n; ++i) {
    PHYSCNN_CHECK_ARG(sizes[i] > 0 && error[i] > 0 && std::isfinite(crossing[i]),
                      "fit_crossings: point ", i, " has L=", sizes[i], ", T*=", crossing[i],
                      ", error=", error[i], " (L and error must be > 0)");
    const double x = 1.0 / double(sizes[i]), w = 1.0 / (error[i] * error[i]);
    const std::array<double, 3> f = {1.0, x, quadratic ? x * x : 0.0};
    for (size_t a = 0; a < 3; ++a) {
      g[a] += w * f[a] * crossing[i];
      for (size_t b = 0; b < 3; ++b) A[a][b] += w * f[a] * f[b];
    }
  }
  if (!quadratic) A[2][2] = 1.0;  // b is not a parameter: keep the system regular, b = 0
  std::array<double, 3> c{};
  PHYSCNN_CHECK_ARG(solve<3>(A, g, c) && std::set<int64_t>(sizes.begin(), sizes.end()).size() >= m,
                    "fit_crossings: needs ", m, " distinct lattice sizes");
  const auto C = inverse<3>(A);
  CrossingFit r;
  r.critical_temperature = c[0];
  r.a = c[1];
  r.b = quadratic ? c[2] : 0.0;
  r.error = std::sqrt(std::max(0.0, C[0][0]));
  r.quadratic = quadratic;
  for (size_t i = 0; i < n; ++i) {
    const double x = 1.0 / double(sizes[i]);
    const double res = (crossing[i] - r.critical_temperature - r.a * x - r.b * x * x) / error[i];
    r.chi2 += res * res;
  }
  r.dof = int64_t(n) - int64_t(m);
  return r;
}

}  // namespace physcnn::physics::ising

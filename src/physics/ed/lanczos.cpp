#include "physics/ed/lanczos.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::physics::ed {

namespace {

// Number of eigenvalues of the tridiagonal matrix below x (Sturm sequence).
int count_below(const std::vector<double>& a, const std::vector<double>& b, double x) {
  int count = 0;
  double q = 1;
  for (size_t i = 0; i < a.size(); ++i) {
    const double off = i == 0 ? 0 : b[i - 1] * b[i - 1];
    q = (a[i] - x) - (i == 0 ? 0 : off / q);
    if (q == 0) q = -std::numeric_limits<double>::epsilon() * (std::fabs(a[i]) + 1e-300);
    if (q < 0) ++count;
  }
  return count;
}

double dot(const std::vector<double>& x, const std::vector<double>& y) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int chunks = std::max(1, std::min<int>(num_threads(), static_cast<int>(n / 65536) + 1));
  std::vector<double> part(static_cast<size_t>(chunks), 0.0);
  parallel_for(0, chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      double s = 0;
      for (int64_t i = n * c / chunks; i < n * (c + 1) / chunks; ++i) s += x[i] * y[i];
      part[static_cast<size_t>(c)] = s;
    }
  });
  double s = 0;
  for (double p : part) s += p;  // fixed order: the result repeats bit for bit
  return s;
}

// y += alpha x
void axpy(double alpha, const std::vector<double>& x, std::vector<double>& y) {
  parallel_for(0, static_cast<int64_t>(x.size()), 65536, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) y[i] += alpha * x[i];
  });
}

void scale(double alpha, std::vector<double>& x) {
  parallel_for(0, static_cast<int64_t>(x.size()), 65536, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) x[i] *= alpha;
  });
}

}  // namespace

double tridiagonal_lowest(const std::vector<double>& a, const std::vector<double>& b,
                          std::vector<double>* vector) {
  const size_t m = a.size();
  double lo = std::numeric_limits<double>::max(), hi = -lo;
  for (size_t i = 0; i < m; ++i) {  // Gershgorin bounds
    const double r = (i > 0 ? std::fabs(b[i - 1]) : 0) + (i + 1 < m ? std::fabs(b[i]) : 0);
    lo = std::min(lo, a[i] - r);
    hi = std::max(hi, a[i] + r);
  }
  for (int it = 0; it < 200 && hi - lo > 4 * std::numeric_limits<double>::epsilon() *
                                             std::max(std::fabs(lo), std::fabs(hi));
       ++it) {
    const double mid = 0.5 * (lo + hi);
    (count_below(a, b, mid) >= 1 ? hi : lo) = mid;
  }
  const double lambda = 0.5 * (lo + hi);
  if (vector) {
    // Inverse iteration with T - sigma positive definite (sigma just below the lowest
    // eigenvalue), so the LDL^T (Thomas) solve is stable without pivoting.
    const double scale_t = std::max({std::fabs(lo), std::fabs(hi), 1e-300});
    const double sigma = lambda - 1e-10 * scale_t;
    std::vector<double>& x = *vector;
    x.assign(m, 1.0);
    std::vector<double> d(m), l(m);
    for (size_t i = 0; i < m; ++i) {
      d[i] = a[i] - sigma - (i > 0 ? l[i - 1] * b[i - 1] : 0);
      if (i + 1 < m) l[i] = b[i] / d[i];
    }
    for (int pass = 0; pass < 3; ++pass) {
      for (size_t i = 1; i < m; ++i) x[i] -= l[i - 1] * x[i - 1];
      for (size_t i = m; i-- > 0;) x[i] = x[i] / d[i] - (i + 1 < m ? l[i] * x[i + 1] : 0);
      double norm = 0;
      for (double v : x) norm += v * v;
      norm = std::sqrt(norm);
      for (double& v : x) v /= norm;
    }
  }
  return lambda;
}

LanczosResult lanczos_ground_state(int64_t dim, const MatVec& matvec, const LanczosOptions& o) {
  PHYSCNN_CHECK_ARG(dim >= 1, "Lanczos needs a space of at least one state, got ", dim);
  const size_t n = static_cast<size_t>(dim);
  LanczosResult result;
  const int max_it = static_cast<int>(std::min<int64_t>(o.max_iterations, dim));
  result.full_reorthogonalisation = double(dim) * 8.0 * (max_it + 1) <= o.memory_bytes;

  // Deterministic random start (splitmix64), the same in both passes.
  auto start = [&](std::vector<double>& v) {
    v.resize(n);
    uint64_t z = o.seed * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; ++i) {
      z += 0x9E3779B97F4A7C15ull;
      uint64_t x = z;
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
      v[i] = double(x >> 11) * 0x1.0p-53 - 0.5;
    }
    scale(1.0 / std::sqrt(dot(v, v)), v);
  };

  std::vector<double> alpha, beta, ritz;
  std::vector<std::vector<double>> kept;
  // One run of the recursion; `observe(j, v_j)` sees each Krylov vector. With `steps` > 0 it
  // runs exactly that many steps (the second pass), otherwise until converged.
  auto run = [&](int steps, const std::function<void(int, const std::vector<double>&)>& observe) {
    std::vector<double> v, v_prev(n, 0.0), w(n);
    start(v);
    alpha.clear();
    beta.clear();
    for (int j = 0; steps > 0 ? j < steps : j < max_it; ++j) {
      observe(j, v);
      if (result.full_reorthogonalisation && steps == 0) kept.push_back(v);
      matvec(v.data(), w.data());
      const double a = dot(w, v);
      alpha.push_back(a);
      axpy(-a, v, w);
      if (j > 0) axpy(-beta.back(), v_prev, w);
      if (result.full_reorthogonalisation && steps == 0)
        for (int pass = 0; pass < 2; ++pass)
          for (const auto& q : kept) axpy(-dot(w, q), q, w);
      const double b = std::sqrt(dot(w, w));
      if (steps > 0) {
        if (j + 1 == steps) break;
      } else {
        result.eigenvalue = tridiagonal_lowest(alpha, beta, &ritz);
        result.residual = std::fabs(b * ritz.back());
        result.iterations = j + 1;
        const double tol = o.tolerance * std::max(1.0, std::fabs(result.eigenvalue));
        if (result.residual < tol || b < 1e-14 * std::max(1.0, std::fabs(a))) break;
      }
      beta.push_back(b);
      std::swap(v_prev, v);
      v.swap(w);
      scale(1.0 / b, v);
    }
  };
  run(0, [](int, const std::vector<double>&) {});
  result.vector.assign(n, 0.0);
  if (result.full_reorthogonalisation) {
    for (size_t j = 0; j < ritz.size(); ++j) axpy(ritz[j], kept[j], result.vector);
    kept.clear();
  } else {
    const std::vector<double> y = ritz;
    run(static_cast<int>(y.size()), [&](int j, const std::vector<double>& v) {
      axpy(y[static_cast<size_t>(j)], v, result.vector);
    });
  }
  scale(1.0 / std::sqrt(dot(result.vector, result.vector)), result.vector);
  // The true residual of the returned vector.
  std::vector<double> hx(n);
  matvec(result.vector.data(), hx.data());
  result.eigenvalue = dot(hx, result.vector);
  axpy(-result.eigenvalue, result.vector, hx);
  result.residual = std::sqrt(dot(hx, hx));
  const double tol = std::sqrt(o.tolerance) * std::max(1.0, std::fabs(result.eigenvalue));
  PHYSCNN_CHECK(result.residual < tol, NumericalError, "Lanczos did not converge in ",
                result.iterations, " iterations: residual ", result.residual, " (want < ", tol,
                "); raise the iteration limit");
  return result;
}

}  // namespace physcnn::physics::ed

// The moments of stochastic reconfiguration: per-sample evaluation, the sums over samples, and
// the SR solve (direct, or conjugate gradients on S v products).
#include <algorithm>
#include <cmath>
#include <span>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "physics/nqs/vmc.hpp"

namespace physcnn::physics::nqs {

namespace {
// Sums of complex values over the ranks, identical on every rank (dist::allreduce_sum_identical).
void sum_over(const dist::Comm& ranks, std::vector<cplx>& v) {
  dist::allreduce_sum_identical(ranks,
                                std::span(reinterpret_cast<double*>(v.data()), 2 * v.size()));
}
}  // namespace

SampleData evaluate_samples(const ed::SpinHamiltonian& h, const Wavefunction& psi,
                            const std::vector<Config>& configs) {
  SampleData d;
  d.n_params = psi.n_params();
  d.holomorphic = psi.holomorphic();
  const auto ns = static_cast<int64_t>(configs.size());
  std::vector<cplx> log_s(configs.size());
  d.o.resize(configs.size() * static_cast<size_t>(d.n_params));
  psi.log_derivatives_batch(configs.data(), ns, log_s.data(), d.o.data());
  d.local_energy = local_energies(h, psi, configs, &log_s);
  return d;
}

Moments reduce_moments(SampleData d, const std::vector<double>& weights, bool with_s, bool keep_o,
                       const dist::Comm* ranks) {
  if (ranks && !ranks->distributed()) ranks = nullptr;
  const size_t ns = d.local_energy.size();
  const auto p = static_cast<size_t>(d.n_params);
  PHYSCNN_CHECK_ARG(weights.size() == ns && d.o.size() == ns * p, "reduce_moments: ", ns,
                    " samples, ", weights.size(), " weights, ", d.o.size(), " derivatives");
  std::vector<cplx>& o = d.o;
  std::vector<cplx>& eloc = d.local_energy;
  Moments m;
  m.n_params = d.n_params;
  m.holomorphic = d.holomorphic;
  m.ranks = ranks;
  // First the means <E_loc> and <O_k> (one all-reduce over the ranks when there are several).
  std::vector<cplx> means(1 + p, 0.0);  // <E_loc>, then <O_k>
  for (size_t i = 0; i < ns; ++i) {
    means[0] += weights[i] * eloc[i];
    for (size_t k = 0; k < p; ++k) means[1 + k] += weights[i] * o[i * p + k];
  }
  if (ranks) sum_over(*ranks, means);
  const cplx mean_e = means[0];
  const std::vector<cplx> mean_o(means.begin() + 1, means.end());
  m.energy = mean_e.real();
  m.local_energy.resize(ns);
  for (size_t i = 0; i < ns; ++i) {
    m.local_energy[i] = eloc[i].real();
    m.variance += weights[i] * std::norm(eloc[i] - mean_e);
  }
  if (ranks) m.local_energy = dist::allgather_concat(*ranks, m.local_energy);
  // Centred derivatives, scaled by sqrt(weight): S = Oc^H Oc, F = Oc^H (E_loc - E).
  for (size_t i = 0; i < ns; ++i) {
    const double sw = std::sqrt(weights[i]);
    for (size_t k = 0; k < p; ++k) o[i * p + k] = sw * (o[i * p + k] - mean_o[k]);
    eloc[i] = sw * (eloc[i] - mean_e);
  }
  m.force.assign(p, 0.0);
  parallel_for(0, static_cast<int64_t>(p), 64, [&](int64_t lo, int64_t hi) {
    for (size_t i = 0; i < ns; ++i)
      for (auto k = static_cast<size_t>(lo); k < static_cast<size_t>(hi); ++k)
        m.force[k] += std::conj(o[i * p + k]) * eloc[i];
  });
  if (with_s) {
    m.s_matrix.assign(p * p, 0.0);
    parallel_for(0, static_cast<int64_t>(p), 8, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k)
        for (size_t i = 0; i < ns; ++i) {
          const cplx ok = std::conj(o[i * p + static_cast<size_t>(k)]);
          cplx* row = &m.s_matrix[static_cast<size_t>(k) * p];
          const cplx* oi = &o[i * p];
          for (size_t l = 0; l < p; ++l) row[l] += ok * oi[l];
        }
    });
  }
  if (ranks) {  // then the variance, F and S
    std::vector<cplx> second(1 + p + m.s_matrix.size());
    second[0] = m.variance;
    std::copy(m.force.begin(), m.force.end(), second.begin() + 1);
    std::copy(m.s_matrix.begin(), m.s_matrix.end(), second.begin() + std::ptrdiff_t(1 + p));
    sum_over(*ranks, second);
    m.variance = second[0].real();
    std::copy_n(second.begin() + 1, p, m.force.begin());
    std::copy(second.begin() + std::ptrdiff_t(1 + p), second.end(), m.s_matrix.begin());
  }
  if (keep_o) m.centred_o = std::move(o);
  return m;
}

Moments moments(const ed::SpinHamiltonian& h, const Wavefunction& psi, const Ensemble& e,
                bool with_s, bool keep_o) {
  Moments m =
      reduce_moments(evaluate_samples(h, psi, e.configs), e.weights, with_s, keep_o, e.ranks);
  m.n_chains = e.n_chains;
  m.acceptance = e.acceptance;
  if (m.ranks) {  // every rank's chains and acceptance
    std::vector<double> a{e.acceptance * e.n_chains, double(e.n_chains)};
    dist::allreduce_sum_identical(*m.ranks, a);
    m.n_chains = static_cast<int>(a[1]);
    m.acceptance = a[0] / a[1];
  }
  return m;
}

std::vector<cplx> s_times(const Moments& m, const std::vector<cplx>& v) {
  const auto p = static_cast<size_t>(m.n_params);
  PHYSCNN_CHECK_ARG(p > 0 && m.centred_o.size() % p == 0 && !m.centred_o.empty() && v.size() == p,
                    "s_times needs the centred derivatives (keep_o) and ", p, " entries");
  const size_t ns = m.centred_o.size() / p;
  const cplx* o = m.centred_o.data();
  std::vector<cplx> ov(ns), out(p, 0.0);
  parallel_for(0, static_cast<int64_t>(ns), 64, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      cplx s = 0;
      for (size_t k = 0; k < p; ++k) s += o[static_cast<size_t>(i) * p + k] * v[k];
      ov[static_cast<size_t>(i)] = s;
    }
  });
  parallel_for(0, static_cast<int64_t>(p), 64, [&](int64_t lo, int64_t hi) {
    for (size_t i = 0; i < ns; ++i)
      for (auto k = static_cast<size_t>(lo); k < static_cast<size_t>(hi); ++k)
        out[k] += std::conj(o[i * p + k]) * ov[i];
  });
  if (m.ranks) sum_over(*m.ranks, out);
  if (!m.holomorphic)
    for (cplx& x : out) x = x.real();
  return out;
}

std::vector<cplx> sr_direction(const Moments& m, double shift) {
  const size_t p = m.force.size();
  PHYSCNN_CHECK_ARG(m.s_matrix.size() == p * p, "sr_direction needs the S matrix");
  std::vector<cplx> a = m.s_matrix, x = m.force;
  if (!m.holomorphic) {
    for (cplx& v : a) v = v.real();
    for (cplx& v : x) v = v.real();
  }
  for (size_t k = 0; k < p; ++k) a[k * p + k] += shift;
  for (size_t col = 0; col < p; ++col) {
    size_t piv = col;
    for (size_t r = col + 1; r < p; ++r)
      if (std::abs(a[r * p + col]) > std::abs(a[piv * p + col])) piv = r;
    PHYSCNN_CHECK(std::abs(a[piv * p + col]) > 1e-300, NumericalError, "the S matrix (+ shift ",
                  shift, ") is singular at column ", col, "; raise the diagonal shift");
    if (piv != col) {
      for (size_t c = 0; c < p; ++c) std::swap(a[col * p + c], a[piv * p + c]);
      std::swap(x[col], x[piv]);
    }
    const cplx inv = 1.0 / a[col * p + col];
    for (size_t r = col + 1; r < p; ++r) {
      const cplx f = a[r * p + col] * inv;
      if (f == 0.0) continue;
      for (size_t c = col; c < p; ++c) a[r * p + c] -= f * a[col * p + c];
      x[r] -= f * x[col];
    }
  }
  for (size_t r = p; r-- > 0;) {
    cplx s = x[r];
    for (size_t c = r + 1; c < p; ++c) s -= a[r * p + c] * x[c];
    x[r] = s / a[r * p + r];
  }
  for (const cplx& v : x)
    PHYSCNN_CHECK(std::isfinite(v.real()) && std::isfinite(v.imag()), NumericalError,
                  "the SR direction is not finite");
  return x;
}

std::vector<cplx> sr_direction_cg(const Moments& m, double shift, double tol, int max_iter) {
  const size_t p = m.force.size();
  auto apply = [&](const std::vector<cplx>& v) {
    std::vector<cplx> out = s_times(m, v);
    for (size_t k = 0; k < p; ++k) out[k] += shift * v[k];
    return out;
  };
  auto dot = [&](const std::vector<cplx>& a, const std::vector<cplx>& b) {
    cplx s = 0;
    for (size_t k = 0; k < p; ++k) s += std::conj(a[k]) * b[k];
    return s;
  };
  std::vector<cplx> b = m.force;
  if (!m.holomorphic)
    for (cplx& v : b) v = v.real();
  std::vector<cplx> x(p, 0.0), r = b, d = b;
  const double b2 = dot(b, b).real();
  if (b2 == 0) return x;
  double r2 = b2;
  for (int it = 0; it < max_iter && r2 > tol * tol * b2; ++it) {
    const std::vector<cplx> ad = apply(d);
    const double dad = dot(d, ad).real();
    PHYSCNN_CHECK(dad > 0 && std::isfinite(dad), NumericalError,
                  "conjugate gradients on the S matrix broke down (d.Sd = ", dad,
                  "); raise the diagonal shift");
    const double alpha = r2 / dad;
    for (size_t k = 0; k < p; ++k) {
      x[k] += alpha * d[k];
      r[k] -= alpha * ad[k];
    }
    const double r2_new = dot(r, r).real();
    const double beta = r2_new / r2;
    r2 = r2_new;
    for (size_t k = 0; k < p; ++k) d[k] = r[k] + beta * d[k];
  }
  for (const cplx& v : x)
    PHYSCNN_CHECK(std::isfinite(v.real()) && std::isfinite(v.imag()), NumericalError,
                  "the SR direction is not finite");
  return x;
}

}  // namespace physcnn::physics::nqs

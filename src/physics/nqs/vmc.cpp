#include "physics/nqs/vmc.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>
#include <type_traits>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::physics::nqs {

namespace {

// Every rank's `mine` concatenated in rank order (the vector itself without ranks).
template <class T>
std::vector<T> gather_all(const std::vector<T>& mine, const dist::Comm* ranks) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (!ranks) return mine;
  const auto parts = ranks->allgather(std::as_bytes(std::span(mine)));
  std::vector<T> all;
  for (const auto& part : parts) {
    const size_t at = all.size();
    all.resize(at + part.size() / sizeof(T));
    if (!part.empty()) std::memcpy(all.data() + at, part.data(), part.size());
  }
  return all;
}

// Sums over the ranks, then the root's sums to every rank: MPI does not promise the same
// rounding on every rank, and the ranks must take the same SR step.
void sum_over(std::vector<double>& v, const dist::Comm* ranks) {
  if (!ranks) return;
  ranks->allreduce_sum(std::span(v));
  ranks->broadcast(std::as_writable_bytes(std::span(v)), 0);
}

}  // namespace

cplx local_energy(const ed::SpinHamiltonian& h, const Rbm& psi, Config s) {
  const cplx log_s = psi.log_psi(s);
  cplx off = 0;
  const double diag = h.for_each_connected(
      s, [&](Config t, double e) { off += e * std::exp(psi.log_psi(t) - log_s); });
  return diag + off;
}

Ensemble exact_ensemble(const ed::SpinHamiltonian& h, const Rbm& psi) {
  const int n = h.lattice().n_sites();
  PHYSCNN_CHECK_ARG(n <= 24, "exact enumeration of ", h.lattice().describe(),
                    " is too large; at most 24 sites");
  Ensemble e;
  for (Config s = 0; s <= h.lattice().full_mask(); ++s)
    if (!h.conserves_sz() || 2 * std::popcount(s) == n) e.configs.push_back(s);
  std::vector<double> logw(e.configs.size());
  double top = -INFINITY;
  for (size_t i = 0; i < e.configs.size(); ++i) {
    logw[i] = 2 * psi.log_psi(e.configs[i]).real();
    top = std::max(top, logw[i]);
  }
  double z = 0;
  e.weights.resize(logw.size());
  for (size_t i = 0; i < logw.size(); ++i) z += e.weights[i] = std::exp(logw[i] - top);
  for (double& w : e.weights) w /= z;
  return e;
}

MetropolisSampler::MetropolisSampler(const ed::Lattice& lattice, bool exchange, int n_chains,
                                     uint64_t seed, const dist::Comm* ranks)
    : n_(lattice.n_sites()),
      exchange_(exchange),
      total_(n_chains),
      ranks_(ranks && ranks->distributed() ? ranks : nullptr) {
  PHYSCNN_CHECK_ARG(n_chains >= 1, "sampler chains = ", n_chains, ": need at least 1");
  PHYSCNN_CHECK_ARG(!ranks_ || n_chains >= ranks_->size(), "sampler chains = ", n_chains, " for ",
                    ranks_ ? ranks_->size() : 1, " MPI ranks: every rank needs at least one chain");
  block_ =
      ranks_ ? dist::block_of(n_chains, ranks_->rank(), ranks_->size()) : dist::Block{0, n_chains};
  PHYSCNN_CHECK_ARG(!exchange || n_ % 2 == 0, "exchange moves keep S^z = 0, which the ",
                    lattice.describe(), " (odd) does not have");
  const Rng root(seed);
  for (int64_t c = block_.begin; c < block_.end; ++c) {
    rng_.push_back(root.fork(static_cast<uint64_t>(c)));
    Config s = 0;
    if (exchange) {  // a random configuration with n/2 up spins
      std::vector<int> sites(static_cast<size_t>(n_));
      for (int i = 0; i < n_; ++i) sites[static_cast<size_t>(i)] = i;
      for (int i = 0; i < n_ / 2; ++i) {
        const int j = i + static_cast<int>(rng_.back().below(static_cast<uint64_t>(n_ - i)));
        std::swap(sites[static_cast<size_t>(i)], sites[static_cast<size_t>(j)]);
        s |= Config{1} << sites[static_cast<size_t>(i)];
      }
    } else {
      s = rng_.back().next_u64() & lattice.full_mask();
    }
    state_.push_back(s);
  }
}

Ensemble MetropolisSampler::sample(const Rbm& psi, int per_chain, int burn_in) {
  PHYSCNN_CHECK_ARG(per_chain >= 1, "samples per chain = ", per_chain, ": need at least 1");
  const int chains = static_cast<int>(state_.size());
  Ensemble e;
  e.n_chains = chains;
  e.configs.resize(static_cast<size_t>(chains) * per_chain);
  std::vector<int64_t> accepted(static_cast<size_t>(chains), 0);
  parallel_for(0, chains, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      Rng& rng = rng_[static_cast<size_t>(c)];
      Config s = state_[static_cast<size_t>(c)];
      cplx log_s = psi.log_psi(s);
      for (int sweep = 0; sweep < burn_in + per_chain; ++sweep) {
        for (int step = 0; step < n_; ++step) {
          Config t;
          if (exchange_) {
            const int up = std::popcount(s);
            // The k-th up spin and the l-th down spin, uniformly.
            int k = static_cast<int>(rng.below(static_cast<uint64_t>(up)));
            int l = static_cast<int>(rng.below(static_cast<uint64_t>(n_ - up)));
            int i = -1, j = -1;
            for (int b = 0; b < n_; ++b) {
              if (s >> b & 1) {
                if (k-- == 0) i = b;
              } else if (l-- == 0) {
                j = b;
              }
            }
            t = s ^ (Config{1} << i) ^ (Config{1} << j);
          } else {
            t = s ^ (Config{1} << rng.below(static_cast<uint64_t>(n_)));
          }
          const cplx log_t = psi.log_psi(t);
          const double ratio = std::exp(2 * (log_t - log_s).real());
          if (ratio >= 1 || rng.uniform() < ratio) {
            s = t;
            log_s = log_t;
            if (sweep >= burn_in) ++accepted[static_cast<size_t>(c)];
          }
        }
        if (sweep >= burn_in) e.configs[static_cast<size_t>(c) * per_chain + (sweep - burn_in)] = s;
      }
      state_[static_cast<size_t>(c)] = s;
      rng.set_state(rng.state());  // drop buffered bits: a checkpoint captures the whole state
    }
  });
  int64_t total = 0;
  for (int64_t a : accepted) total += a;
  e.acceptance = double(total) / (double(chains) * per_chain * n_);
  e.weights.assign(e.configs.size(), 1.0 / (double(total_) * per_chain));
  e.ranks = ranks_;
  return e;
}

std::vector<Config> MetropolisSampler::configs() const {
  return gather_all(state_, ranks_);
}

std::vector<Rng::State> MetropolisSampler::rng_states() const {
  std::vector<Rng::State> out;
  for (const Rng& r : rng_) out.push_back(r.state());
  return gather_all(out, ranks_);
}

void MetropolisSampler::set_state(const std::vector<Config>& configs,
                                  const std::vector<Rng::State>& rngs) {
  PHYSCNN_CHECK_ARG(configs.size() == size_t(total_) && rngs.size() == size_t(total_),
                    "sampler state has ", configs.size(), " chains, the sampler ", total_);
  for (int64_t c = block_.begin; c < block_.end; ++c) {
    state_[size_t(c - block_.begin)] = configs[size_t(c)];
    rng_[size_t(c - block_.begin)].set_state(rngs[size_t(c)]);
  }
}

Estimate estimate(const std::vector<double>& values, int n_chains) {
  Estimate r;
  const size_t n = values.size();
  PHYSCNN_CHECK_ARG(n_chains >= 1 && n >= static_cast<size_t>(n_chains) && n % n_chains == 0,
                    "estimate: ", n, " values do not split into ", n_chains, " chains");
  for (double v : values) r.mean += v;
  r.mean /= double(n);
  for (double v : values) r.variance += (v - r.mean) * (v - r.mean);
  r.variance /= double(n);
  if (n_chains < 2) return r;
  const size_t per = n / static_cast<size_t>(n_chains);
  double spread = 0;  // variance of the chain means
  for (int c = 0; c < n_chains; ++c) {
    double m = 0;
    for (size_t i = 0; i < per; ++i) m += values[static_cast<size_t>(c) * per + i];
    m /= double(per);
    spread += (m - r.mean) * (m - r.mean);
  }
  spread /= double(n_chains - 1);
  r.error = std::sqrt(spread / n_chains);
  r.tau = r.variance > 0 ? 0.5 * spread * double(per) / r.variance : 0;
  return r;
}

Moments moments(const ed::SpinHamiltonian& h, const Rbm& psi, const Ensemble& e, bool with_s) {
  const size_t ns = e.configs.size();
  const size_t p = static_cast<size_t>(psi.n_params());
  std::vector<cplx> o(ns * p), eloc(ns);
  parallel_for(0, static_cast<int64_t>(ns), 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      psi.log_derivatives(e.configs[static_cast<size_t>(i)], &o[static_cast<size_t>(i) * p]);
      eloc[static_cast<size_t>(i)] = local_energy(h, psi, e.configs[static_cast<size_t>(i)]);
    }
  });
  Moments m;
  // First the means (energy, O_k, acceptance), summed over the ranks when there are several.
  std::vector<double> first(2 + 2 * p + 2, 0.0);
  auto* mean_e = reinterpret_cast<cplx*>(first.data());
  auto* mean_o = mean_e + 1;
  for (size_t i = 0; i < ns; ++i) {
    *mean_e += e.weights[i] * eloc[i];
    for (size_t k = 0; k < p; ++k) mean_o[k] += e.weights[i] * o[i * p + k];
  }
  const int local_chains = e.n_chains;
  first[2 + 2 * p] = e.acceptance * local_chains;
  first[3 + 2 * p] = local_chains;
  sum_over(first, e.ranks);
  m.energy = mean_e->real();
  m.n_chains = static_cast<int>(first[3 + 2 * p]);
  m.acceptance = first[2 + 2 * p] / m.n_chains;
  m.local_energy.resize(ns);
  for (size_t i = 0; i < ns; ++i) {
    m.local_energy[i] = eloc[i].real();
    m.variance += e.weights[i] * std::norm(eloc[i] - *mean_e);
  }
  m.local_energy = gather_all(m.local_energy, e.ranks);
  // Centred derivatives, scaled by sqrt(weight): S = Oc^H Oc, F = Oc^H (E_loc - E).
  for (size_t i = 0; i < ns; ++i) {
    const double sw = std::sqrt(e.weights[i]);
    for (size_t k = 0; k < p; ++k) o[i * p + k] = sw * (o[i * p + k] - mean_o[k]);
    eloc[i] = sw * (eloc[i] - *mean_e);
  }
  m.force.assign(p, 0.0);
  for (size_t i = 0; i < ns; ++i)
    for (size_t k = 0; k < p; ++k) m.force[k] += std::conj(o[i * p + k]) * eloc[i];
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
  if (e.ranks) {  // then the variance, F and S
    const size_t nf = 2 * p, nsm = 2 * m.s_matrix.size();
    auto* force = reinterpret_cast<double*>(m.force.data());  // complex<double> is double[2]
    auto* s_mat = reinterpret_cast<double*>(m.s_matrix.data());
    std::vector<double> second(1 + nf + nsm);
    second[0] = m.variance;
    std::copy_n(force, nf, second.begin() + 1);
    std::copy_n(s_mat, nsm, second.begin() + std::ptrdiff_t(1 + nf));
    sum_over(second, e.ranks);
    m.variance = second[0];
    std::copy_n(second.begin() + 1, nf, force);
    std::copy_n(second.begin() + std::ptrdiff_t(1 + nf), nsm, s_mat);
  }
  return m;
}

std::vector<cplx> sr_direction(const Moments& m, double shift) {
  const size_t p = m.force.size();
  PHYSCNN_CHECK_ARG(m.s_matrix.size() == p * p, "sr_direction needs the S matrix");
  std::vector<cplx> a = m.s_matrix, x = m.force;
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

}  // namespace physcnn::physics::nqs

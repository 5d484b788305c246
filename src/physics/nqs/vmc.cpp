#include "physics/nqs/vmc.hpp"

#include <bit>
#include <cmath>

#include "core/error.hpp"

namespace physcnn::physics::nqs {

cplx local_energy(const ed::SpinHamiltonian& h, const Wavefunction& psi, Config s) {
  return local_energies(h, psi, {s})[0];
}

std::vector<cplx> local_energies(const ed::SpinHamiltonian& h, const Wavefunction& psi,
                                 const std::vector<Config>& configs,
                                 const std::vector<cplx>* log_s) {
  const size_t ns = configs.size();
  // All connected configurations in one list (the samples themselves first when their log psi
  // is not given), then one batch evaluation.
  std::vector<Config> all;
  std::vector<double> diag(ns), elem;
  std::vector<size_t> start(ns + 1);
  const size_t head = log_s ? 0 : ns;
  if (!log_s) all = configs;
  for (size_t i = 0; i < ns; ++i) {
    start[i] = all.size();
    diag[i] = h.for_each_connected(configs[i], [&](Config t, double e) {
      all.push_back(t);
      elem.push_back(e);
    });
  }
  start[ns] = all.size();
  std::vector<cplx> logs(all.size());
  psi.log_psi_batch(all.data(), static_cast<int64_t>(all.size()), logs.data());
  std::vector<cplx> out(ns);
  for (size_t i = 0; i < ns; ++i) {
    const cplx ls = log_s ? (*log_s)[i] : logs[i];
    cplx off = 0;
    for (size_t j = start[i]; j < start[i + 1]; ++j) off += elem[j - head] * std::exp(logs[j] - ls);
    out[i] = diag[i] + off;
  }
  return out;
}

Ensemble exact_ensemble(const ed::SpinHamiltonian& h, const Wavefunction& psi) {
  const int n = h.lattice().n_sites();
  PHYSCNN_CHECK_ARG(n <= 24, "exact enumeration of ", h.lattice().describe(),
                    " is too large; at most 24 sites");
  Ensemble e;
  for (Config s = 0; s <= h.lattice().full_mask(); ++s)
    if (!h.conserves_sz() || 2 * std::popcount(s) == n) e.configs.push_back(s);
  std::vector<double> logw(e.configs.size());
  double top = -INFINITY;
  std::vector<cplx> logs(e.configs.size());
  psi.log_psi_batch(e.configs.data(), static_cast<int64_t>(e.configs.size()), logs.data());
  for (size_t i = 0; i < e.configs.size(); ++i) {
    logw[i] = 2 * logs[i].real();
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

Ensemble MetropolisSampler::sample(const Wavefunction& psi, int per_chain, int burn_in) {
  PHYSCNN_CHECK_ARG(per_chain >= 1, "samples per chain = ", per_chain, ": need at least 1");
  const int chains = static_cast<int>(state_.size());
  const auto nc = static_cast<size_t>(chains);
  Ensemble e;
  e.n_chains = chains;
  e.configs.resize(nc * static_cast<size_t>(per_chain));
  std::vector<int64_t> accepted(nc, 0);
  // The chains move in lockstep: every chain proposes, one batch evaluates the proposals, every
  // chain accepts or rejects. Each chain draws from its own generator in the same order as it
  // would alone, so the result does not depend on how the batch is evaluated.
  std::vector<cplx> log_s(nc), log_t(nc);
  std::vector<Config> t(nc);
  psi.log_psi_batch(state_.data(), chains, log_s.data());
  for (int sweep = 0; sweep < burn_in + per_chain; ++sweep) {
    for (int step = 0; step < n_; ++step) {
      for (size_t c = 0; c < nc; ++c) {
        Rng& rng = rng_[c];
        const Config s = state_[c];
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
          t[c] = s ^ (Config{1} << i) ^ (Config{1} << j);
        } else {
          t[c] = s ^ (Config{1} << rng.below(static_cast<uint64_t>(n_)));
        }
      }
      psi.log_psi_batch(t.data(), chains, log_t.data());
      for (size_t c = 0; c < nc; ++c) {
        const double ratio = std::exp(2 * (log_t[c] - log_s[c]).real());
        if (ratio >= 1 || rng_[c].uniform() < ratio) {
          state_[c] = t[c];
          log_s[c] = log_t[c];
          if (sweep >= burn_in) ++accepted[c];
        }
      }
    }
    if (sweep >= burn_in)
      for (size_t c = 0; c < nc; ++c)
        e.configs[c * static_cast<size_t>(per_chain) + static_cast<size_t>(sweep - burn_in)] =
            state_[c];
  }
  for (Rng& rng : rng_) rng.set_state(rng.state());  // drop buffered bits (checkpoints)
  int64_t total = 0;
  for (int64_t a : accepted) total += a;
  e.acceptance = double(total) / (double(chains) * per_chain * n_);
  e.weights.assign(e.configs.size(), 1.0 / (double(total_) * per_chain));
  e.ranks = ranks_;
  return e;
}

std::vector<Config> MetropolisSampler::configs() const {
  return ranks_ ? dist::allgather_concat(*ranks_, state_) : state_;
}

std::vector<Rng::State> MetropolisSampler::rng_states() const {
  std::vector<Rng::State> out;
  for (const Rng& r : rng_) out.push_back(r.state());
  return ranks_ ? dist::allgather_concat(*ranks_, out) : out;
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

}  // namespace physcnn::physics::nqs

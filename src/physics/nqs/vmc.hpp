// Variational Monte Carlo for neural quantum states: local energies through the matrix elements
// of physics/ed, Metropolis sampling with many chains (spin exchanges that keep S^z, or single
// flips), exact expectation values by enumeration (the test oracle), and stochastic
// reconfiguration (natural gradient) with a direct solve or conjugate gradients.
//
// Every function takes the ansatz as a Wavefunction and evaluates it in batches: the local
// energies of a set of samples are one call with all their connected configurations, the
// Metropolis chains move in lockstep with one call per proposal step.
//
// Distributing the chains (MPI): evaluate_samples() is per sample and needs nothing from other
// chains; reduce_moments() and s_times() are the only places that sum over samples, so a
// distributed run replaces their sums (weights, energy, <O>, F, S or S v) by allreduces.
#pragma once

#include <vector>

#include "core/rng.hpp"
#include "dist/comm.hpp"
#include "physics/ed/hamiltonian.hpp"
#include "physics/nqs/wavefunction.hpp"

namespace physcnn::physics::nqs {

// E_loc(s) = sum_s' H_ss' psi(s') / psi(s).
cplx local_energy(const ed::SpinHamiltonian& h, const Wavefunction& psi, Config s);
// E_loc of every configuration, with one batch evaluation of all connected configurations;
// log_s (optional) holds log psi of the configurations when already known.
std::vector<cplx> local_energies(const ed::SpinHamiltonian& h, const Wavefunction& psi,
                                 const std::vector<Config>& configs,
                                 const std::vector<cplx>* log_s = nullptr);

// Configurations with weights (summing to 1): Monte Carlo samples or an exact enumeration.
struct Ensemble {
  std::vector<Config> configs;
  std::vector<double> weights;
  int n_chains = 1;  // samples are chain-major: chain c holds [c*per_chain, (c+1)*per_chain)
  double acceptance = 1;
  // Set when these are one rank's share of an MPI job's samples (its block of the chains,
  // weights summing to 1 over all ranks): the moments are then summed over the ranks.
  const dist::Comm* ranks = nullptr;
};

// Every configuration of the Hamiltonian's sector (S^z = 0 when conserved) weighted by
// |psi|^2 / Z.
Ensemble exact_ensemble(const ed::SpinHamiltonian& h, const Wavefunction& psi);

class MetropolisSampler {
 public:
  // exchange: swap an up and a down spin (keeps S^z = 0, starts there); else flip one spin.
  // ranks (distributed): this rank runs its block of the chains (dist::block_of); chain c draws
  // from the stream it has in one process, so the job samples what one process would.
  MetropolisSampler(const ed::Lattice& lattice, bool exchange, int n_chains, uint64_t seed,
                    const dist::Comm* ranks = nullptr);
  // per_chain samples from every chain, one sweep (n_sites proposals) apart, after `burn_in`
  // sweeps. The chains continue from where the previous call left them.
  Ensemble sample(const Wavefunction& psi, int per_chain, int burn_in);

  // Every chain's configuration and generator state, for checkpoints (set_state checks sizes).
  // Under MPI these gather from every rank: a collective that every rank must call.
  std::vector<Config> configs() const;
  std::vector<Rng::State> rng_states() const;
  void set_state(const std::vector<Config>& configs, const std::vector<Rng::State>& rngs);
  int chains() const { return total_; }  // over all ranks

 private:
  int n_;
  bool exchange_;
  int total_;
  const dist::Comm* ranks_;
  dist::Block block_;
  std::vector<Config> state_;
  std::vector<Rng> rng_;
};

// Mean with its statistical error from the spread of the chain means, the variance, and the
// integrated autocorrelation time (in sweeps) that spread implies.
struct Estimate {
  double mean = 0, error = 0, variance = 0, tau = 0;
};
Estimate estimate(const std::vector<double>& values, int n_chains);

// The moments stochastic reconfiguration needs, with O_k = d log psi / d theta_k:
//   energy = <E_loc>, F_k = <O_k* E_loc> - <O_k*><E_loc>, S_kl = <O_k* O_l> - <O_k*><O_l>.
// The derivative of the energy along the real part of theta_k is 2 Re F_k.
// holomorphic: false for real parameters (then SR uses Re S and Re F).
// centred_o (when kept): sqrt(w_i) (O_ki - <O_k>), samples x n_params, for S v = Oc^H Oc v.
//
// Per-sample quantities: E_loc and O (samples x n_params).
struct SampleData {
  std::vector<cplx> local_energy, o;
  int64_t n_params = 0;
  bool holomorphic = true;
};
SampleData evaluate_samples(const ed::SpinHamiltonian& h, const Wavefunction& psi,
                            const std::vector<Config>& configs);

struct Moments {
  double energy = 0, variance = 0;
  std::vector<double> local_energy;  // Re E_loc per configuration
  std::vector<cplx> force;           // F, n_params
  std::vector<cplx> s_matrix;        // S, n_params^2 row-major (when asked)
  std::vector<cplx> centred_o;       // sqrt(w) (O - <O>), samples x n_params (when asked)
  int64_t n_params = 0;
  bool holomorphic = true;
  int n_chains = 1;                   // over all ranks (moments())
  double acceptance = 1;              // over all ranks (moments())
  const dist::Comm* ranks = nullptr;  // set: the sums above are over these ranks' samples
};
// The sums over samples: energy, variance, F, and S or the centred O. With `ranks` the samples
// are one rank's share: the sums run over every rank (all-reduce, then rank 0's sums copied to
// all, so that every rank takes the same step) and local_energy is every rank's, in rank order.
Moments reduce_moments(SampleData d, const std::vector<double>& weights, bool with_s,
                       bool keep_o = false, const dist::Comm* ranks = nullptr);
Moments moments(const ed::SpinHamiltonian& h, const Wavefunction& psi, const Ensemble& e,
                bool with_s, bool keep_o = false);

// S v from the centred derivatives (two passes over them, never forming S); Re of it for real
// parameters; summed over m.ranks. Needs keep_o.
std::vector<cplx> s_times(const Moments& m, const std::vector<cplx>& v);

// Solves (S + shift * I) x = F by Gaussian elimination with partial pivoting; throws
// NumericalError when singular. Real parameters: (Re S + shift) x = Re F.
std::vector<cplx> sr_direction(const Moments& m, double shift);
// The same system by conjugate gradients with s_times (relative residual tol, at most
// max_iter products); for models too large for the P x P matrix.
std::vector<cplx> sr_direction_cg(const Moments& m, double shift, double tol = 1e-6,
                                  int max_iter = 200);

}  // namespace physcnn::physics::nqs

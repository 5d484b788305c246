// Variational Monte Carlo for neural quantum states: local energies through the matrix elements
// of physics/ed, Metropolis sampling with many chains (spin exchanges that keep S^z, or single
// flips), exact expectation values by enumeration (the test oracle), and stochastic
// reconfiguration (natural gradient) with a direct solve.
#pragma once

#include <vector>

#include "core/rng.hpp"
#include "dist/comm.hpp"
#include "physics/ed/hamiltonian.hpp"
#include "physics/nqs/rbm.hpp"

namespace physcnn::physics::nqs {

// E_loc(s) = sum_s' H_ss' psi(s') / psi(s).
cplx local_energy(const ed::SpinHamiltonian& h, const Rbm& psi, Config s);

// Configurations with weights (summing to 1): Monte Carlo samples or an exact enumeration.
struct Ensemble {
  std::vector<Config> configs;
  std::vector<double> weights;
  int n_chains = 1;  // samples are chain-major: chain c holds [c*per_chain, (c+1)*per_chain)
  double acceptance = 1;
  // Set when these are one rank's share of an MPI job's samples (its chains, weights summing to
  // 1 over all ranks): moments() then sums over the ranks (docs/mpi.md).
  const dist::Comm* ranks = nullptr;
};

// Every configuration of the Hamiltonian's sector (S^z = 0 when conserved) weighted by
// |psi|^2 / Z.
Ensemble exact_ensemble(const ed::SpinHamiltonian& h, const Rbm& psi);

class MetropolisSampler {
 public:
  // exchange: swap an up and a down spin (keeps S^z = 0, starts there); else flip one spin.
  // With `ranks`, this process runs only its block of the n_chains (dist::block_of), each chain
  // with the stream it has in a single process, so the job samples what one process would.
  MetropolisSampler(const ed::Lattice& lattice, bool exchange, int n_chains, uint64_t seed,
                    const dist::Comm* ranks = nullptr);
  // per_chain samples from every chain, one sweep (n_sites proposals) apart, after `burn_in`
  // sweeps. The chains continue from where the previous call left them.
  Ensemble sample(const Rbm& psi, int per_chain, int burn_in);

  // All n_chains chains' configurations and generator states, for checkpoints (set_state checks
  // sizes and keeps its own block). With ranks, a collective every rank must call.
  std::vector<Config> configs() const;
  std::vector<Rng::State> rng_states() const;
  void set_state(const std::vector<Config>& configs, const std::vector<Rng::State>& rngs);

 private:
  int n_;
  bool exchange_;
  int total_ = 1;                      // chains of the whole job
  dist::Block block_;                  // the chains this process runs
  const dist::Comm* ranks_ = nullptr;  // set when the chains are shared over MPI ranks
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
struct Moments {
  double energy = 0, variance = 0;
  double acceptance = 1;             // of the Metropolis moves, over all ranks
  int n_chains = 1;                  // chains behind local_energy
  std::vector<double> local_energy;  // Re E_loc per configuration (of every rank, chain order)
  std::vector<cplx> force;           // F, n_params
  std::vector<cplx> s_matrix;        // S, n_params^2 row-major (when asked)
};
// With e.ranks the sums run over every rank's samples (MPI all-reduce, then the root's sums
// broadcast so that every rank takes the same SR step); local_energy gathers every rank's.
Moments moments(const ed::SpinHamiltonian& h, const Rbm& psi, const Ensemble& e, bool with_s);

// Solves (S + shift * I) x = F by Gaussian elimination with partial pivoting; throws
// NumericalError when singular.
std::vector<cplx> sr_direction(const Moments& m, double shift);

}  // namespace physcnn::physics::nqs

// `physcnn nqs`: a variational study from a TOML file (lattice, couplings, ansatz, sampler,
// optimiser, iterations) with a run folder holding the energy history, checkpoints (resume
// continues bit for bit) and the comparison with exact diagonalisation.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "physics/ed/hamiltonian.hpp"

namespace physcnn::physics::nqs {

struct NqsSpec {
  std::string file;  // for messages
  std::string lattice = "square";
  int lx = 4, ly = 0;  // ly 0: square of lx (1 on a chain)
  ed::Couplings couplings;
  std::string ansatz = "rbm";  // rbm or cnn
  int alpha = 1;
  bool marshall = true;
  bool symmetric =
      false;  // RBM: share weights over translations; CNN: average over the point group
  double init_scale = 0.01;
  std::vector<int> channels{8, 8};              // CNN hidden layers
  int kernel = 3;                               // CNN kernel
  std::string activation = "tanh";              // CNN activation
  int chains = 16, samples = 64, burn_in = 10;  // samples per chain and iteration (sweeps)
  bool exact = false;            // exact enumeration instead of sampling (small lattices)
  std::string optimizer = "sr";  // sr or adam
  double learning_rate = 0.05, diag_shift = 0.01;
  double final_learning_rate = NAN;  // NaN: constant; else exponential decay to it
  std::string solver = "auto";       // SR: direct, cg, or auto (direct up to 500 parameters)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
  int iterations = 300;
  int eval_samples = 1000;  // per chain, for the final estimate
  int checkpoint_every = 20;
  uint64_t seed = 1;
  double reference = NAN;  // E/N from the literature, used when ED is out of reach
};

// Reads and checks a study file: unknown keys and tables, wrong types and bad values are
// UsageErrors "FILE:LINE: ...".
NqsSpec read_nqs_spec(const std::string& path);

struct IterationRecord {
  int iteration = 0;
  double energy = 0, error = 0, variance = 0, acceptance = 0, seconds = 0;
};

struct NqsResult {
  double energy_per_site = 0, error_per_site = 0, variance = 0, acceptance = 0, tau = 0;
  double exact_per_site = 0;  // NaN when the lattice is too large for ED and no reference
  bool exact_from_ed = false;
  double relative_error = 0;  // NaN without ED
  double s_pipi = 0, s_pipi_exact = 0;
  int64_t n_params = 0;
  std::string ansatz;  // e.g. "cnn 8-8 k3 tanh, point group"
  std::vector<IterationRecord> history;
  double seconds = 0;  // optimisation wall time in this process
  bool stopped = false;
};

// Runs (or with resume, continues from out_dir/checkpoint.txt) the study, writing
// out_dir/energy.csv and the checkpoint; `progress` sees each iteration; `stop` is asked after
// each iteration (a checkpoint is written before returning early).
NqsResult run_nqs(const NqsSpec& spec, const std::string& out_dir, bool resume,
                  const std::function<void(const IterationRecord&)>& progress,
                  const std::function<bool()>& stop);

}  // namespace physcnn::physics::nqs

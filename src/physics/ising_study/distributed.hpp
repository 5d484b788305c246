// The Ising Monte Carlo shared by the ranks of an MPI job (mpirun/srun): every (lattice size,
// temperature) task runs on one rank, the ranks balanced by an estimated cost, and the root
// receives every dataset. Each task draws from the stream generate() gives it, so the root's
// datasets equal a single process's byte for byte, whatever the number of ranks or threads.
#pragma once

#include <cstddef>
#include <vector>

#include "dist/comm.hpp"
#include "physics/ising/generator.hpp"

namespace physcnn::physics::ising {

// Relative cost of one temperature of one size: L^2 spins times a factor for the Wolff
// clusters (used within wolff_window of T_c; below T_c they cover most of the lattice) and the
// longer autocorrelation near T_c. Only the balance between ranks depends on it, never the data.
double estimated_cost(const GeneratorOptions& options, std::size_t temperature_index);

// The rank of every task, plan[k][i] for size k and temperature i: longest tasks first, each to
// the rank with the least estimated work so far (lowest rank on ties). Every rank computes the
// same plan from the same options.
std::vector<std::vector<int>> plan_tasks(const std::vector<GeneratorOptions>& per_size, int ranks);

// generate(per_size[k]) for every k, shared by the ranks of `comm`: on the root the complete
// datasets, on the other ranks empty ones (lattice_size set, no configurations). `seconds`, if
// given, receives this rank's Monte Carlo time (its tasks, before the gather).
std::vector<IsingDataset> generate_on_ranks(const std::vector<GeneratorOptions>& per_size,
                                            const dist::Comm& comm, double* seconds = nullptr);

// run_study's hook: in an MPI job of several ranks, generate_on_ranks(per_size) with its wall time
// in `seconds` (the study then trains and writes on the root only); otherwise an empty vector,
// and the study makes its sizes one by one.
std::vector<IsingDataset> generate_for_study(const std::vector<GeneratorOptions>& per_size,
                                             double& seconds);

}  // namespace physcnn::physics::ising

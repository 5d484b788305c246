// The data generator of the Ising study: equilibrated configurations at many temperatures with
// labels, observables and per-temperature summaries, reproducible from one seed.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/ising/stats.hpp"
#include "physics/ising/triangular.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::physics::ising {

// start:stop:count (inclusive, evenly spaced), plus `extra_near_tc` evenly spaced points in
// [T_c - extra_width, T_c + extra_width] where the physics (and the network) changes fastest.
struct TemperatureGrid {
  double start = 1.0;
  double stop = 3.5;
  int64_t count = 26;
  int64_t extra_near_tc = 0;
  double extra_width = 0.2;
};
// The sorted union of both sets (duplicates closer than 1e-9 removed).
std::vector<double> make_temperatures(const TemperatureGrid& grid);

struct GeneratorOptions {
  std::vector<double> temperatures;  // e.g. from make_temperatures
  int64_t lattice_size = 32;         // L (even)
  int64_t configs_per_temperature = 64;
  uint64_t seed = 0;
  double field = 0.0;      // h; Wolff clusters are used only when h = 0
  int wolff_clusters = 1;  // per replica per sweep (see MultiSpinLattice::mixed_sweep)
  // Wolff clusters only where they pay: |T - T_c| <= wolff_window. A cluster step costs ~20-50x
  // a multi-spin Metropolis step per spin (measured, bench/ising_bench.cpp) and below T_c it
  // flips almost the whole lattice, while Metropolis alone decorrelates in O(10) sweeps there.
  double wolff_window = 0.5;
  // Equilibration and spacing come from tau = max(tau_int(E), tau_int(|m|)) in sweeps, measured
  // in a pilot run: equilibrate >= equilibration_factor * tau sweeps, save a configuration every
  // ceil(spacing_factor * tau) sweeps (2 tau makes consecutive saves nearly independent).
  double equilibration_factor = 20.0;
  double spacing_factor = 2.0;
  // The pilot run starts at pilot_sweeps and doubles until its second half (the part used for
  // tau) holds >= 50 tau, up to max_pilot_sweeps; its first half is discarded as equilibration.
  int64_t pilot_sweeps = 128;
  int64_t max_pilot_sweeps = 8192;
  // The production run (where the summary means are measured) lasts at least this many sweeps.
  int64_t min_measurement_sweeps = 1024;
  // The lattice: square (MultiSpinLattice) or triangular (TriangularMultiSpin, stored on the
  // odd-q hexagonal grid of the hex layers; L >= 4).
  LatticeType lattice = LatticeType::square;
  // Where labels switch (1 below), replicas start ordered below, and the Wolff window is centred;
  // 0: the lattice's exact T_c. A study that must not use the exact answer passes its estimate.
  double critical_temperature = 0.0;
};

struct TemperatureSummary {
  double temperature = 0.0;
  Estimate energy;             // <E>/N
  Estimate magnetisation;      // <M>/N
  Estimate abs_magnetisation;  // <|M|>/N
  Estimate specific_heat;      // C/N = N (<e^2> - <e>^2) / T^2, jackknife error
  AutocorrelationTime tau_energy, tau_abs_magnetisation;  // in sweeps, from the pilot run
  int64_t equilibration_sweeps = 0;  // sweeps before the first saved configuration (incl. pilot)
  int64_t spacing_sweeps = 0;        // sweeps between saved configurations of one chain
  int64_t measurement_sweeps = 0;    // length of the production run
};

struct IsingDataset {
  int64_t lattice_size = 0;
  std::vector<int8_t> spins;                // count() x L x L, +-1, temperature-major
  std::vector<double> temperature;          // per configuration
  std::vector<int64_t> label;               // 1 "ordered" if T < T_c, else 0
  std::vector<double> energy;               // E/N per configuration
  std::vector<double> magnetisation;        // M/N per configuration
  std::vector<TemperatureSummary> summary;  // per temperature, in the order given
  int64_t count() const { return int64_t(temperature.size()); }
};

// Runs every temperature (in parallel, one independent stream Rng(seed).fork(index) each, so
// the result does not depend on the thread count) with MultiSpinLattice: 64 replicas per
// temperature, each saving every spacing_sweeps; replicas start ordered (random sign) below T_c
// and random above.
IsingDataset generate(const GeneratorOptions& options);

// generate() restricted to the temperatures options.temperatures[i] for i in `indices`, in that
// order, each from the same stream Rng(seed).fork(i): concatenating the subsets of any split of
// the indices in index order gives generate()'s dataset byte for byte (how MPI ranks share the
// work, physics/ising_study/distributed.hpp).
IsingDataset generate_subset(const GeneratorOptions& options, const std::vector<size_t>& indices);

// The configurations as float32 (N, 1, L, L).
Tensor to_tensor(const IsingDataset& data);

}  // namespace physcnn::physics::ising

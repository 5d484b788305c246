// The fast engine for the triangular lattice: 64 replicas packed into the bits of uint64 words
// as in MultiSpinLattice, single-spin Metropolis in typewriter order (the lattice is not
// bipartite, and a three-colouring would tie L to multiples of 6; a sequential sweep needs
// neither) and Wolff clusters on single replicas. The same interface as MultiSpinLattice, so the
// generator runs either.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "physics/ising/multispin.hpp"

namespace physcnn::physics::ising {

class TriangularMultiSpin {
 public:
  static constexpr int kReplicas = 64;

  // All replicas start ordered (+1). `rng` seeds the engine's bit source. L even, >= 4.
  TriangularMultiSpin(int64_t size, Rng rng);

  int64_t size() const { return size_; }
  int64_t sites() const { return size_ * size_; }
  void set_parameters(double temperature, double field = 0.0);

  void fill_random();
  void fill_ordered(uint64_t up_mask);  // replica r all +1 if bit r of up_mask is set, else -1
  void set_replica(int replica, const Lattice& lat);
  Lattice replica(int replica) const;
  void copy_replica(int replica, int8_t* out) const;  // L*L values +-1 (odd-q grid, row-major)
  uint64_t random_bits() { return rng_.next(); }

  // One sweep: every site in typewriter order, all 64 replicas proposing a flip at once.
  void metropolis_sweep();
  int64_t wolff_update(int replica);  // h = 0 only; returns the cluster size
  // One Metropolis sweep, then (h = 0) `wolff_clusters` Wolff clusters per replica.
  void mixed_sweep(int wolff_clusters = 1);
  // Per-replica E/N and M/N (arrays of kReplicas).
  void measure(double* energy_per_spin, double* magnetisation_per_spin) const;

 private:
  int64_t size_;
  std::vector<uint64_t> spins_;
  Xoshiro256 rng_;
  double field_ = 0.0;
  // Classes c = k + 7 s (k antiparallel neighbours of 6, s = 1 if the spin is up); flipping
  // costs dE = 2 (6 - 2k) + 2 h s. certain_[c]: always accepted; threshold_bits_[j][c]: bit
  // 31 - j of floor(p_c 2^32) as a full mask (as in MultiSpinLattice).
  std::array<bool, 14> certain_{};
  std::array<std::array<uint64_t, 14>, 32> threshold_bits_{};
  uint64_t wolff_threshold_ = 0;
  std::vector<int64_t> stack_;
};

}  // namespace physcnn::physics::ising

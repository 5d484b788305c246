// The fast engine: 64 independent replicas of one L x L lattice packed into the bits of uint64
// words (multi-spin coding), checkerboard Metropolis with bitwise acceptance masks, and Wolff
// cluster updates on single replicas.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/ising/lattice.hpp"

namespace physcnn::physics::ising {

// xoshiro256** (Blackman & Vigna 2018): the inner-loop bit source, ~1 ns per 64 bits. It is
// seeded from the counter-based physcnn::Rng, so reproducibility still comes from (seed, fork id).
class Xoshiro256 {
 public:
  explicit Xoshiro256(Rng& seeder);
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform integer in [0, n) by multiply-high (bias <= n / 2^64, negligible here).
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// Bit r of word i is the spin of replica r at site i (1 = up, +1). The replicas never interact;
// each is an ordinary Markov chain with its own random bits.
class MultiSpinLattice {
 public:
  static constexpr int kReplicas = 64;

  // All replicas start ordered (+1). `rng` seeds the engine's bit source.
  MultiSpinLattice(int64_t size, Rng rng);

  int64_t size() const { return size_; }
  int64_t sites() const { return size_ * size_; }
  double temperature() const { return temperature_; }
  double field() const { return field_; }
  void set_parameters(double temperature, double field = 0.0);

  void fill_random();                   // every spin of every replica +-1 with probability 1/2
  void fill_ordered(uint64_t up_mask);  // replica r all +1 if bit r of up_mask is set, else -1
  void set_replica(int replica, const Lattice& lat);
  Lattice replica(int replica) const;
  void copy_replica(int replica, int8_t* out) const;  // L*L values +-1
  uint64_t random_bits() { return rng_.next(); }

  // One sweep: the even then the odd sublattice, every site of all 64 replicas proposing a flip.
  void metropolis_sweep();
  // One Wolff cluster in `replica` (requires h = 0). Returns its size.
  int64_t wolff_update(int replica);
  // The default update: one Metropolis sweep, then (when h = 0) `wolff_clusters` Wolff clusters
  // per replica. Metropolis alone decorrelates far from T_c; the clusters beat critical
  // slowing down near T_c (tau ~ L^2.17 sweeps for Metropolis vs O(1) for Wolff).
  void mixed_sweep(int wolff_clusters = 1);

  // Per-replica E/N and M/N (arrays of kReplicas).
  void measure(double* energy_per_spin, double* magnetisation_per_spin) const;

 private:
  template <bool kField>
  void sweep_sublattice(int parity);

  int64_t size_;
  std::vector<uint64_t> spins_;  // L*L words
  Xoshiro256 rng_;
  double temperature_ = 1.0, field_ = 0.0;
  // Acceptance classes c = k + 5*s (k antiparallel neighbours, s = 1 if the spin is up).
  // certain_[c]: always accepted; threshold_bits_[j][c]: bit 31-j of floor(p_c * 2^32), as a
  // full mask, so the j-th comparison step builds the per-replica threshold bit with ANDs.
  std::array<bool, 10> certain_{};
  std::array<std::array<uint64_t, 10>, 32> threshold_bits_{};
  uint64_t wolff_threshold_ = 0;
  std::vector<int64_t> stack_;
};

}  // namespace physcnn::physics::ising

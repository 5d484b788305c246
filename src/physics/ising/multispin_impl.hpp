// Pieces of the multi-spin engines shared by the square and the triangular lattice (internal
// header of physics/ising).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "physics/ising/multispin.hpp"

namespace physcnn::physics::ising {

// Bitwise "r < p" for 64 independent uniforms r, one random word per binary digit, most
// significant first, stopping when every replica is decided (~log2(64) + 2 words on average).
// `threshold(j)` gives bit j of each replica's p as a mask.
template <class ThresholdBit>
inline uint64_t bernoulli_accept(uint64_t accept, uint64_t undecided, Xoshiro256& rng,
                                 ThresholdBit&& threshold) {
  for (int j = 0; j < 32 && undecided; ++j) {
    const uint64_t u = rng.next(), t = threshold(j);
    accept |= undecided & ~u & t;
    undecided &= ~(u ^ t);
  }
  return accept;
}

// Entry c of an engine's acceptance table for Metropolis probability p: certain[c] when p >= 1,
// else bits[j][c] holds bit 31-j of floor(p * 2^32) as an all-ones or all-zero mask.
template <size_t N>
inline void set_acceptance(size_t c, double p, std::array<bool, N>& certain,
                           std::array<std::array<uint64_t, N>, 32>& bits) {
  certain[c] = p >= 1.0;
  const uint64_t p32 = p >= 1.0 ? 0 : uint64_t(std::floor(p * 4294967296.0));
  for (size_t j = 0; j < 32; ++j) bits[j][c] = ((p32 >> (31 - j)) & 1u) ? ~uint64_t(0) : 0;
}

// Replica `replica` (bit of every word) set from +-1 spins, or read out as +-1 spins.
inline void set_replica_bits(std::vector<uint64_t>& words, int replica, const int8_t* spins) {
  const uint64_t bit = uint64_t(1) << replica;
  for (size_t i = 0; i < words.size(); ++i)
    words[i] = spins[i] > 0 ? (words[i] | bit) : (words[i] & ~bit);
}
inline void copy_replica_bits(const std::vector<uint64_t>& words, int replica, int8_t* out) {
  for (size_t i = 0; i < words.size(); ++i) out[i] = ((words[i] >> replica) & 1u) ? 1 : -1;
}

// 64 bit-sliced binary counters: add() increments counter r by bit r of w (carry-save, ~2 word
// operations per call amortised), count(r) reads one out.
struct BitCounters {
  std::array<uint64_t, 40> planes{};
  void add(uint64_t w) {
    for (size_t p = 0; w != 0 && p < planes.size(); ++p) {
      const uint64_t carry = planes[p] & w;
      planes[p] ^= w;
      w = carry;
    }
  }
  int64_t count(int r) const {
    int64_t n = 0;
    for (size_t p = 0; p < planes.size(); ++p) n |= int64_t((planes[p] >> r) & 1u) << p;
    return n;
  }
};

}  // namespace physcnn::physics::ising

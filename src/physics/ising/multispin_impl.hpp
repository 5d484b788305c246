// Pieces of the multi-spin engines shared by the square and the triangular lattice (internal
// header of physics/ising).
#pragma once

#include <array>
#include <cstdint>

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

// Wolff cluster growth written once over a spin accessor, so the int8 lattice and the bit-packed
// replicas share it (internal header of physics/ising).
#pragma once

#include <cstdint>
#include <vector>

namespace physcnn::physics::ising::detail {

// spin(i) -> bool "up", flip(i) flips site i; uniform64() -> random uint64; `threshold` is
// p_add scaled to 2^64 (a bond joins when uniform64() < threshold); neighbours(i, out) writes
// the neighbours of site i to out (at most 8) and returns their number. Wolff, PRL 62, 361
// (1989): sites are flipped as they join, so "same sign as the seed" marks the unvisited ones.
template <class NeighbourFn, class SpinFn, class FlipFn, class Uniform>
int64_t grow_cluster(int64_t seed_site, uint64_t threshold, NeighbourFn&& neighbours, SpinFn&& spin,
                     FlipFn&& flip, Uniform&& uniform64, std::vector<int64_t>& stack) {
  const bool up = spin(seed_site);
  stack.clear();
  stack.push_back(seed_site);
  flip(seed_site);
  int64_t size = 1;
  int64_t nb[8];
  while (!stack.empty()) {
    const int64_t i = stack.back();
    stack.pop_back();
    const int n = neighbours(i, nb);
    for (int k = 0; k < n; ++k) {
      const int64_t j = nb[k];
      if (spin(j) == up && uniform64() < threshold) {
        flip(j);
        stack.push_back(j);
        ++size;
      }
    }
  }
  return size;
}

// The square lattice (L x L, row-major, periodic): four neighbours.
template <class SpinFn, class FlipFn, class Uniform>
int64_t grow_wolff_cluster(int64_t L, int64_t seed_site, uint64_t threshold, SpinFn&& spin,
                           FlipFn&& flip, Uniform&& uniform64, std::vector<int64_t>& stack) {
  const int64_t N = L * L;
  return grow_cluster(
      seed_site, threshold,
      [L, N](int64_t i, int64_t* nb) {
        // One division per visited site; wrap-around by comparison (a modulo per neighbour made
        // the cluster growth 5x slower).
        const int64_t r = i / L, c = i - r * L;
        nb[0] = r == L - 1 ? i + L - N : i + L;
        nb[1] = r == 0 ? i - L + N : i - L;
        nb[2] = c == L - 1 ? i + 1 - L : i + 1;
        nb[3] = c == 0 ? i - 1 + L : i - 1;
        return 4;
      },
      spin, flip, uniform64, stack);
}

// p_add = 1 - exp(-2/T) as a 64-bit threshold (saturating just below 2^64).
inline uint64_t wolff_threshold(double p) {
  if (p >= 1.0) return ~uint64_t(0);
  return static_cast<uint64_t>(p * 18446744073709551616.0);
}

}  // namespace physcnn::physics::ising::detail

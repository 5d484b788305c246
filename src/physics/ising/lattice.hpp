// One 2D Ising lattice (L x L, periodic, J = k_B = 1, field h) stored as int8 +-1, with the
// textbook single-spin Metropolis sweep (the oracle for the fast engine) and Wolff cluster updates.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace physcnn::physics::ising {

// Onsager's critical temperature 2 / ln(1 + sqrt(2)).
inline constexpr double kCriticalTemperature = 2.269185314213022;

struct Lattice {
  int64_t size = 0;           // L
  std::vector<int8_t> spins;  // L*L, row-major, each +1 or -1

  static Lattice ordered(int64_t size, int8_t sign = 1);  // all spins = sign
  static Lattice random(int64_t size, Rng& rng);          // each spin +-1 with probability 1/2
  int64_t sites() const { return size * size; }
  int8_t at(int64_t row, int64_t col) const { return spins[row * size + col]; }
};

// E / N with E = -sum_<ij> s_i s_j - h sum_i s_i (each bond counted once).
double energy_per_spin(const Lattice& lat, double field = 0.0);
// M / N.
double magnetisation_per_spin(const Lattice& lat);

// One sweep in typewriter order: every site in turn proposes a flip, accepted with probability
// min(1, exp(-dE/T)). Deliberately plain; it is the reference the fast engine is tested against.
void metropolis_sweep_reference(Lattice& lat, double temperature, double field, Rng& rng);

// Grows and flips one Wolff cluster (h = 0 only; bonds join with p = 1 - exp(-2/T)).
// Returns the cluster size.
int64_t wolff_update(Lattice& lat, double temperature, Rng& rng);

// Validation shared by the engines: T > 0 and finite, L even and >= 2 (checkerboard).
void check_lattice_size(const char* op, int64_t size);
void check_temperature(const char* op, double temperature);

}  // namespace physcnn::physics::ising

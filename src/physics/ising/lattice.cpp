// The int8 lattice: observables, the reference Metropolis sweep and Wolff updates on it.
#include "physics/ising/lattice.hpp"

#include <cmath>

#include "core/error.hpp"
#include "physics/ising/wolff_impl.hpp"

namespace physcnn::physics::ising {

void check_lattice_size(const char* op, int64_t size) {
  PHYSCNN_CHECK_ARG(
      size >= 2 && size % 2 == 0 && size <= 65536, op,
      ": lattice size L must be even and in [2, 65536] (checkerboard updates), got L=", size);
}

void check_temperature(const char* op, double temperature) {
  PHYSCNN_CHECK_ARG(std::isfinite(temperature) && temperature > 0.0, op,
                    ": temperature must be finite and > 0, got T=", temperature);
}

Lattice Lattice::ordered(int64_t size, int8_t sign) {
  check_lattice_size("Lattice::ordered", size);
  return Lattice{size, std::vector<int8_t>(size_t(size * size), sign >= 0 ? 1 : -1)};
}

Lattice Lattice::random(int64_t size, Rng& rng) {
  check_lattice_size("Lattice::random", size);
  Lattice lat{size, std::vector<int8_t>(size_t(size * size))};
  for (auto& s : lat.spins) s = (rng.next_u32() & 1u) ? 1 : -1;
  return lat;
}

double energy_per_spin(const Lattice& lat, double field) {
  const int64_t L = lat.size;
  int64_t bonds = 0, m = 0;
  for (int64_t r = 0; r < L; ++r) {
    for (int64_t c = 0; c < L; ++c) {
      const int s = lat.at(r, c);
      bonds += s * (lat.at((r + 1) % L, c) + lat.at(r, (c + 1) % L));  // down and right bonds
      m += s;
    }
  }
  return (-double(bonds) - field * double(m)) / double(lat.sites());
}

double magnetisation_per_spin(const Lattice& lat) {
  int64_t m = 0;
  for (int8_t s : lat.spins) m += s;
  return double(m) / double(lat.sites());
}

void metropolis_sweep_reference(Lattice& lat, double temperature, double field, Rng& rng) {
  check_temperature("metropolis_sweep_reference", temperature);
  const int64_t L = lat.size;
  for (int64_t r = 0; r < L; ++r) {
    for (int64_t c = 0; c < L; ++c) {
      const int s = lat.at(r, c);
      const int nb = lat.at((r + 1) % L, c) + lat.at((r + L - 1) % L, c) + lat.at(r, (c + 1) % L) +
                     lat.at(r, (c + L - 1) % L);
      const double dE = 2.0 * s * (nb + field);  // energy change if s flips
      if (dE <= 0.0 || rng.uniform() < std::exp(-dE / temperature)) {
        lat.spins[size_t(r * L + c)] = int8_t(-s);
      }
    }
  }
}

int64_t wolff_update(Lattice& lat, double temperature, Rng& rng) {
  check_temperature("wolff_update", temperature);
  const uint64_t threshold = detail::wolff_threshold(1.0 - std::exp(-2.0 / temperature));
  const int64_t seed_site = int64_t(rng.below(uint64_t(lat.sites())));
  std::vector<int64_t> stack;
  return detail::grow_wolff_cluster(
      lat.size, seed_site, threshold, [&](int64_t i) { return lat.spins[size_t(i)] > 0; },
      [&](int64_t i) { lat.spins[size_t(i)] = int8_t(-lat.spins[size_t(i)]); },
      [&] { return rng.next_u64(); }, stack);
}

}  // namespace physcnn::physics::ising

// The triangular lattice on the odd-q hexagonal grid: neighbours, the int8 reference updates
// and observables, and the lattice choice shared by the generator and the study.
#include "physics/ising/triangular.hpp"

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "physics/ising/wolff_impl.hpp"

namespace physcnn::physics::ising {

LatticeType parse_lattice_type(const std::string& name, const char* what) {
  if (name == "square") return LatticeType::square;
  if (name == "triangular") return LatticeType::triangular;
  throw UsageError(std::string(what) + ": unknown lattice '" + name +
                   "' (expected square or triangular)");
}

const char* lattice_name(LatticeType type) {
  return type == LatticeType::triangular ? "triangular" : "square";
}

double exact_critical_temperature(LatticeType type) {
  return type == LatticeType::triangular ? kTriangularCriticalTemperature : kCriticalTemperature;
}

int coordination_number(LatticeType type) {
  return type == LatticeType::triangular ? 6 : 4;
}

void check_triangular_size(const char* op, int64_t size) {
  PHYSCNN_CHECK_ARG(size >= 4 && size % 2 == 0 && size <= 65536, op,
                    ": triangular lattice size L must be even and in [4, 65536] (periodic odd-q "
                    "columns; six distinct neighbours), got L=",
                    size);
}

void triangular_neighbours(int64_t L, int64_t i, int64_t out[6]) {
  const int64_t r = i / L, c = i - r * L;
  const int64_t up = r == 0 ? L - 1 : r - 1, down = r == L - 1 ? 0 : r + 1;
  const int64_t left = c == 0 ? L - 1 : c - 1, right = c == L - 1 ? 0 : c + 1;
  // Even columns sit half a cell higher than their neighbour columns: they meet rows r-1 and r
  // there; odd columns sit lower and meet rows r and r+1.
  const int64_t a = (c & 1) ? r : up, b = (c & 1) ? down : r;
  out[0] = up * L + c;
  out[1] = down * L + c;
  out[2] = a * L + left;
  out[3] = b * L + left;
  out[4] = a * L + right;
  out[5] = b * L + right;
}

double triangular_energy_per_spin(const Lattice& lat, double field) {
  const int64_t L = lat.size, N = lat.sites();
  int64_t bonds = 0, m = 0;
  int64_t nb[6];
  for (int64_t i = 0; i < N; ++i) {
    triangular_neighbours(L, i, nb);
    const int s = lat.spins[size_t(i)];
    // Each bond once: the one down and the two in the right column.
    bonds += s * (lat.spins[size_t(nb[1])] + lat.spins[size_t(nb[4])] + lat.spins[size_t(nb[5])]);
    m += s;
  }
  return (-double(bonds) - field * double(m)) / double(N);
}

void triangular_metropolis_sweep_reference(Lattice& lat, double temperature, double field,
                                           Rng& rng) {
  check_temperature("triangular_metropolis_sweep_reference", temperature);
  check_triangular_size("triangular_metropolis_sweep_reference", lat.size);
  int64_t nb[6];
  for (int64_t i = 0; i < lat.sites(); ++i) {
    triangular_neighbours(lat.size, i, nb);
    int sum = 0;
    for (int64_t j : nb) sum += lat.spins[size_t(j)];
    const int s = lat.spins[size_t(i)];
    const double dE = 2.0 * s * (sum + field);  // energy change if s flips
    if (dE <= 0.0 || rng.uniform() < std::exp(-dE / temperature)) {
      lat.spins[size_t(i)] = int8_t(-s);
    }
  }
}

int64_t triangular_wolff_update(Lattice& lat, double temperature, Rng& rng) {
  check_temperature("triangular_wolff_update", temperature);
  check_triangular_size("triangular_wolff_update", lat.size);
  const uint64_t threshold = detail::wolff_threshold(1.0 - std::exp(-2.0 / temperature));
  const int64_t L = lat.size;
  std::vector<int64_t> stack;
  return detail::grow_cluster(
      int64_t(rng.below(uint64_t(lat.sites()))), threshold,
      [L](int64_t i, int64_t* nb) {
        triangular_neighbours(L, i, nb);
        return 6;
      },
      [&](int64_t i) { return lat.spins[size_t(i)] > 0; },
      [&](int64_t i) { lat.spins[size_t(i)] = int8_t(-lat.spins[size_t(i)]); },
      [&] { return rng.next_u64(); }, stack);
}

}  // namespace physcnn::physics::ising

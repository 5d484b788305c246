// The triangular-lattice Ising model (six neighbours per site, J = k_B = 1, field h), stored on
// the hexagonal grid of the hex layers (nn/hex_grid.hpp): an L x L array whose odd columns sit
// half a cell lower ("odd-q" offset coordinates, as hexagdly stores them), periodic in rows and
// columns. The cell centres form a triangular lattice; each cell's six hexagonal neighbours are
// its six nearest sites. Here: the geometry, the int8 reference (Metropolis sweep, Wolff, the
// observables), the lattice choice shared by the generator and the study, and the exact results.
#pragma once

#include <cstdint>
#include <string>

#include "core/rng.hpp"
#include "physics/ising/lattice.hpp"

namespace physcnn::physics::ising {

// T_c of the triangular lattice: exp(4/T_c) = 3 (Houtappel 1950; Wannier 1950).
inline const double kTriangularCriticalTemperature = 4.0 / 1.0986122886681098;  // 4 / ln 3

enum class LatticeType { square, triangular };
// "square" or "triangular"; anything else is a UsageError naming `what` and the choices.
LatticeType parse_lattice_type(const std::string& name, const char* what);
const char* lattice_name(LatticeType type);
// The exact T_c (Onsager for the square lattice, 4 / ln 3 for the triangular one).
double exact_critical_temperature(LatticeType type);
// Nearest neighbours per site (4 or 6).
int coordination_number(LatticeType type);

// The six neighbours of site i = row * L + col of the periodic L x L odd-q grid, in the order
// up, down (same column), then the two cells of the left and the two of the right column.
// Even columns meet rows r-1 and r of their neighbour columns, odd columns rows r and r+1.
void triangular_neighbours(int64_t L, int64_t i, int64_t out[6]);

// Triangular lattices need L even (the half-cell shift must alternate across the seam) and
// L >= 4 (otherwise a site would meet the same neighbour twice).
void check_triangular_size(const char* op, int64_t size);

// E / N with E = -sum_<ij> s_i s_j - h sum_i s_i over the 3N bonds (each counted once).
double triangular_energy_per_spin(const Lattice& lat, double field = 0.0);

// One typewriter-order sweep of single-spin Metropolis (the reference for the fast engine).
void triangular_metropolis_sweep_reference(Lattice& lat, double temperature, double field,
                                           Rng& rng);
// One Wolff cluster (h = 0), bonds joining with p = 1 - exp(-2/T). Returns its size.
int64_t triangular_wolff_update(Lattice& lat, double temperature, Rng& rng);

// Exact results for the infinite triangular lattice (h = 0). Energy per site from Houtappel's
// free energy (Physica 16, 425 (1950)):
//   -f/T = ln 2 + 1/(8 pi^2) ∫∫ ln[c^3 + s^3 - s (cos a + cos b + cos(a + b))] da db,
//   c = cosh(2/T), s = sinh(2/T); u = d(f/T)/d(1/T), integrated numerically (trapezoid rule,
//   exponentially accurate for this periodic integrand away from T_c).
double triangular_energy_exact(double temperature);
// Spontaneous magnetisation (Potts 1952): [1 - 16 x^3 / ((1 + 3x)(1 - x)^3)]^(1/8),
// x = exp(-4/T), below T_c; 0 above.
double triangular_magnetisation_exact(double temperature);

// Exact thermal averages of a periodic L x L triangular lattice by enumerating all 2^(L*L)
// states (L*L <= 24; in practice L = 4): <E>/N (with the field term), <|M|>/N, <(E/N)^2>, <M>/N.
struct EnumerationResult {
  double energy = 0, abs_magnetisation = 0, energy_squared = 0, magnetisation = 0;
};
EnumerationResult enumerate_triangular(int64_t L, double temperature, double field = 0.0);

}  // namespace physcnn::physics::ising

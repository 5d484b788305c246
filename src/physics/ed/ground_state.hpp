// Exact ground state of a spin Hamiltonian: Lanczos in the symmetry-reduced basis (S^z = 0 when
// conserved, one real lattice momentum), scanning the real momenta and keeping the lowest, with
// the ground state's spin correlations and structure factor.
#pragma once

#include <string>
#include <vector>

#include "physics/ed/basis.hpp"
#include "physics/ed/hamiltonian.hpp"
#include "physics/ed/lanczos.hpp"

namespace physcnn::physics::ed {

struct EdOptions {
  std::string momentum = "auto";  // "auto" scans every real momentum; else "0", "pi,0", ...
  double max_states = 5e7;        // refuse larger bases before building them
  LanczosOptions lanczos;
};

struct SectorResult {
  Momentum k;
  int64_t states = 0;
  double energy = 0;
  int iterations = 0;
  double residual = 0;
};

struct EdResult {
  double energy = 0;  // total ground-state energy
  double energy_per_site = 0;
  SectorResult ground;                // the sector holding the ground state
  std::vector<SectorResult> sectors;  // every sector computed
  // C(dx, dy) = (1/N) sum_i <S^z_i S^z_(i+d)> at index dx + Lx*dy.
  std::vector<double> correlation;
  double seconds = 0;
};

EdResult ground_state(const SpinHamiltonian& h, const EdOptions& o = {});

// Applies H to x in the basis (y = H x); the product Lanczos iterates.
void apply_hamiltonian(const SpinHamiltonian& h, const SymmetricBasis& basis, const double* x,
                       double* y);

// S(q) = sum_d e^(i q.d) C(d) = (1/N) sum_ij e^(i q.(r_i - r_j)) <S^z_i S^z_j> for
// q = (qx, qy) in radians.
double structure_factor(const Lattice& lattice, const std::vector<double>& correlation, double qx,
                        double qy);

}  // namespace physcnn::physics::ed

// The symmetry-reduced basis of exact diagonalisation: configurations with total S^z = 0 (or
// all of them when the Hamiltonian does not conserve S^z), combined into translation-symmetric
// states of a real lattice momentum k (each component 0 or pi). A basis state is
//   |a> = R_a^(-1/2) sum over the R_a distinct translates T s_a of chi_k(T) T|s_a>,
// represented by its smallest configuration s_a (the representative).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "physics/ed/lattice.hpp"

namespace physcnn::physics::ed {

// A real momentum: kx, ky in {0, 1}, meaning 0 or pi along x and y.
struct Momentum {
  int kx = 0, ky = 0;
  std::string describe(const Lattice& lattice) const;  // "(0,pi)" or "0" on a chain
};

// The real momenta a lattice allows (pi only along an even side).
std::vector<Momentum> real_momenta(const Lattice& lattice);
// Parses "0", "pi", "0,pi", "pi,pi" for this lattice; throws UsageError naming the text.
Momentum parse_momentum(const Lattice& lattice, const std::string& text);

// Number of configurations in the sector divided by the number of translations: about the
// number of basis states, known before any is built.
double estimated_states(const Lattice& lattice, bool sz0);

class SymmetricBasis {
 public:
  // Builds the representatives in increasing order. Throws UsageError when the estimate exceeds
  // max_states (naming both) or when sz0 is asked of an odd number of sites.
  SymmetricBasis(const Lattice& lattice, bool sz0, Momentum k, double max_states);

  int64_t size() const { return static_cast<int64_t>(reps_.size()); }
  Config representative(int64_t i) const { return reps_[static_cast<size_t>(i)]; }
  int orbit(int64_t i) const { return orbit_[static_cast<size_t>(i)]; }
  double sqrt_orbit(int64_t i) const { return sqrt_table_[orbit_[static_cast<size_t>(i)]]; }
  const Lattice& lattice() const { return lattice_; }
  Momentum momentum() const { return k_; }

  // The basis state containing configuration s: its index (-1 when the symmetrised state of s
  // vanishes in this momentum) and the character chi_k(T) of the translation T with s = T s_a.
  struct Found {
    int64_t index;
    double sign;
  };
  Found find(Config s) const;

  // Calls f(T s) for every translation T of s (the identity first), with its character.
  template <class F>
  void for_each_translation(Config s, F&& f) const {
    Config u = s;
    for (int ty = 0; ty < lattice_.ly(); ++ty) {
      Config v = u;
      for (int tx = 0; tx < lattice_.lx(); ++tx) {
        f(v, ((k_.kx * tx + k_.ky * ty) & 1) ? -1.0 : 1.0);
        v = lattice_.shift_x(v);
      }
      u = lattice_.shift_y(u);
    }
  }

 private:
  // The representative of s (smallest translate), with the character and whether the
  // symmetrised state survives (the stabiliser has character 1) and the orbit length.
  struct Rep {
    Config rep;
    double sign;
    bool alive;
    int orbit;
  };
  Rep representative_of(Config s) const;

  Lattice lattice_;
  Momentum k_;
  std::vector<Config> reps_;
  std::vector<uint8_t> orbit_;
  std::vector<double> sqrt_table_;
};

}  // namespace physcnn::physics::ed

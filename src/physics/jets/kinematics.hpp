// Massless particles in (p_T, eta, phi), their four-vectors, and the jet mass two ways: the sum of
// four-vectors and the pairwise formula m^2 = 2 sum_{i<j} p_Ti p_Tj (cosh d_eta_ij - cos d_phi_ij).
#pragma once

#include <vector>

namespace physcnn::physics::jets {

struct Particle {
  double pt = 0, eta = 0, phi = 0;  // GeV, pseudorapidity (= rapidity when massless), radians
};

struct FourVector {
  double px = 0, py = 0, pz = 0, e = 0;
  FourVector& operator+=(const FourVector& o);
  double mass() const;  // sqrt(max(0, e^2 - p^2))
};

FourVector four_vector(const Particle& p);  // E = p_T cosh(eta): massless
// A massless particle along a three-momentum (the energy is taken as |p|).
Particle from_momentum(double px, double py, double pz);
// phi difference wrapped into (-pi, pi].
double delta_phi(double a, double b);

// The jet mass of massless constituents from their summed four-vector.
double jet_mass(const std::vector<Particle>& constituents);
// The same from the pairwise formula, O(n^2): the lecture's m^2 with d_eta, d_phi per pair.
double jet_mass_pairwise(const std::vector<Particle>& constituents);
// Summed transverse momentum.
double scalar_pt(const std::vector<Particle>& constituents);

}  // namespace physcnn::physics::jets

// Four-vectors of massless particles and the jet mass from them.
#include "physics/jets/kinematics.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace physcnn::physics::jets {

FourVector& FourVector::operator+=(const FourVector& o) {
  px += o.px, py += o.py, pz += o.pz, e += o.e;
  return *this;
}

double FourVector::mass() const {
  return std::sqrt(std::max(0.0, e * e - px * px - py * py - pz * pz));
}

FourVector four_vector(const Particle& p) {
  return {p.pt * std::cos(p.phi), p.pt * std::sin(p.phi), p.pt * std::sinh(p.eta),
          p.pt * std::cosh(p.eta)};
}

Particle from_momentum(double px, double py, double pz) {
  const double pt = std::hypot(px, py);
  return {pt, std::asinh(pz / pt), std::atan2(py, px)};
}

double delta_phi(double a, double b) {
  constexpr double kPi = std::numbers::pi;
  double d = std::remainder(a - b, 2 * kPi);
  if (d <= -kPi) d += 2 * kPi;
  return d;
}

double jet_mass(const std::vector<Particle>& constituents) {
  FourVector sum;
  for (const Particle& p : constituents) sum += four_vector(p);
  return sum.mass();
}

double jet_mass_pairwise(const std::vector<Particle>& constituents) {
  double m2 = 0;
  for (size_t i = 0; i < constituents.size(); ++i)
    for (size_t j = i + 1; j < constituents.size(); ++j) {
      const Particle &a = constituents[i], &b = constituents[j];
      m2 += 2 * a.pt * b.pt * (std::cosh(a.eta - b.eta) - std::cos(delta_phi(a.phi, b.phi)));
    }
  return std::sqrt(std::max(0.0, m2));
}

double scalar_pt(const std::vector<Particle>& constituents) {
  double s = 0;
  for (const Particle& p : constituents) s += p.pt;
  return s;
}

}  // namespace physcnn::physics::jets

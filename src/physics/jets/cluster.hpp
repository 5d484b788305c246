// Anti-k_T clustering of massless particles with FastJet (E-scheme recombination). The only file
// that includes FastJet's headers; FastJet's banner is switched off and its calls serialised
// (Debian's build has no thread safety).
#pragma once

#include <vector>

#include "physics/jets/kinematics.hpp"

namespace physcnn::physics::jets {

struct ClusteredJet {
  double pt = 0, eta = 0, phi = 0,
         mass = 0;                     // the jet's four-vector (FastJet's pt, eta, phi_std, m)
  std::vector<Particle> constituents;  // in input order
  std::vector<int> indices;            // each constituent's index in the input
};

// Jets of anti-k_T with radius R and p_T above pt_min, hardest first. UsageError when R <= 0.
std::vector<ClusteredJet> cluster_antikt(const std::vector<Particle>& particles, double radius,
                                         double pt_min = 0);

}  // namespace physcnn::physics::jets

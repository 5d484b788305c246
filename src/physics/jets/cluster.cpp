// FastJet's anti-k_T (Cacciari, Salam, Soyez, JHEP 04 (2008) 063) on our particles.
#include "physics/jets/cluster.hpp"

#include <algorithm>
#include <fastjet/ClusterSequence.hh>
#include <fastjet/PseudoJet.hh>
#include <mutex>

#include "core/error.hpp"

namespace physcnn::physics::jets {

std::vector<ClusteredJet> cluster_antikt(const std::vector<Particle>& particles, double radius,
                                         double pt_min) {
  PHYSCNN_CHECK_ARG(radius > 0, "anti-k_T: the radius must be > 0, got ", radius);
  std::vector<fastjet::PseudoJet> in;
  in.reserve(particles.size());
  for (size_t i = 0; i < particles.size(); ++i) {
    const FourVector v = four_vector(particles[i]);
    in.emplace_back(v.px, v.py, v.pz, v.e);
    in.back().set_user_index(int(i));
  }
  static std::mutex serial;  // FastJet keeps warnings and the banner in unguarded statics
  const std::lock_guard<std::mutex> lock(serial);
  fastjet::ClusterSequence::set_fastjet_banner_stream(nullptr);
  const fastjet::JetDefinition definition(fastjet::antikt_algorithm, radius);
  const fastjet::ClusterSequence sequence(in, definition);
  std::vector<ClusteredJet> out;
  for (const fastjet::PseudoJet& j : fastjet::sorted_by_pt(sequence.inclusive_jets(pt_min))) {
    ClusteredJet c{.pt = j.pt(), .eta = j.eta(), .phi = j.phi_std(), .mass = std::max(0.0, j.m())};
    // Indices sorted, not PseudoJets: GCC 12 warns (falsely) inside FastJet's SharedPtr when
    // PseudoJets are moved around by std::sort.
    for (const fastjet::PseudoJet& p : j.constituents()) c.indices.push_back(p.user_index());
    std::sort(c.indices.begin(), c.indices.end());
    for (int i : c.indices) c.constituents.push_back(particles[size_t(i)]);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace physcnn::physics::jets

// A toy generator of boosted jets for tagging: W -> q qbar (two prongs at dR ~ 2 m_W / p_T, each
// quark showering inside the cone between them, as a colour singlet does) against QCD jets (one
// quark or gluon showering out to the jet radius), plus soft underlying-event particles. The
// particles are clustered with anti-k_T (FastJet); the hardest jet's constituents make the image,
// and its mass is stored with it. Reproducible per seed whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/jets/kinematics.hpp"
#include "physics/jets/preprocess.hpp"

namespace physcnn::physics::jets {

struct JetOptions {
  int64_t events = 1000;              // jets; even events are QCD (label 0), odd ones W (label 1)
  uint64_t seed = 0;                  // event i uses Rng(seed).fork(i)
  double pt_min = 250, pt_max = 300;  // GeV, p_T of the W or of the QCD parton, uniform
  double eta_max = 1.0;               // |eta| of the W or parton, uniform
  double w_mass = 80.379, w_width = 2.085;  // GeV, Breit-Wigner (truncated at +-5 widths)
  double radius = 1.0;                      // anti-k_T R
  double alpha_s = 0.12;                    // fixed coupling of the toy shower
  double shower_cutoff = 1.0;  // GeV: partons below this p_T (or emissions below it) stop
  double min_angle = 0.01;     // the shower stops at this opening angle
  double soft_density = 2.0;   // underlying-event particles per unit of (eta, phi) area
  double soft_pt = 0.5;        // GeV, mean of their exponential p_T
  ImageOptions image;
};

struct JetDataset {
  int64_t size = 0;                        // image side
  std::vector<float> images;               // events x size x size
  std::vector<int64_t> labels;             // 1 = W, 0 = QCD
  std::vector<double> mass, pt, eta, phi;  // of the clustered jet (mass from FastJet, E-scheme)
  std::vector<double> image_mass;          // from the final image's pixels
  std::vector<int64_t> first;              // constituents of jet i: [first[i], first[i + 1])
  std::vector<Particle> constituents;      // massless, in the lab frame
  int64_t count() const { return int64_t(labels.size()); }
};

// The particles of one event before clustering (partons after the toy shower, and the soft
// ones). Exposed for the tests.
std::vector<Particle> draw_particles(int64_t label, uint64_t seed, int64_t event,
                                     const JetOptions& options);

// UsageError naming the option when one is out of range.
JetDataset generate(const JetOptions& options);

}  // namespace physcnn::physics::jets

// Jet images: constituents pixelised on a square grid in (d_eta, d_phi) around a centre, p_T as
// the intensity; rows run with eta (row 0 at the largest eta), columns with phi. The mass of an
// image treats every pixel as a massless particle at its centre.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "physics/jets/kinematics.hpp"

namespace physcnn::physics::jets {

struct JetImage {
  int64_t size = 25;              // pixels per side (odd: the centre is a pixel centre)
  double pixel = 0.1;             // pixel width in eta and in phi
  std::vector<double> intensity;  // size x size, row-major, GeV (or normalised)

  double& at(int64_t row, int64_t col) { return intensity[size_t(row * size + col)]; }
  double at(int64_t row, int64_t col) const { return intensity[size_t(row * size + col)]; }
  // The (d_eta, d_phi) of a pixel's centre.
  double eta_of(int64_t row) const;
  double phi_of(int64_t col) const;
};

// Sums each constituent's p_T into the pixel holding (eta - eta0, delta_phi(phi, phi0)); those
// outside the image are dropped. UsageError when size < 1 or pixel <= 0.
JetImage pixelise(const std::vector<Particle>& constituents, double eta0, double phi0, int64_t size,
                  double pixel);
// The image's pixels as massless particles at their centres (centre of the image at 0, 0).
std::vector<Particle> image_particles(const JetImage& image);
// jet_mass(image_particles(image)) without the intermediate vector.
double image_mass(const JetImage& image);
double image_sum(const JetImage& image);

}  // namespace physcnn::physics::jets

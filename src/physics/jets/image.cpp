// Pixelisation of constituents and the mass of a jet image.
#include "physics/jets/image.hpp"

#include <cmath>

#include "core/error.hpp"

namespace physcnn::physics::jets {

double JetImage::eta_of(int64_t row) const {
  return (double(size - 1) / 2 - double(row)) * pixel;
}
double JetImage::phi_of(int64_t col) const {
  return (double(col) - double(size - 1) / 2) * pixel;
}

JetImage pixelise(const std::vector<Particle>& constituents, double eta0, double phi0, int64_t size,
                  double pixel) {
  PHYSCNN_CHECK_ARG(size >= 1 && size <= 1024 && pixel > 0,
                    "jet image: need 1 <= size <= 1024 and pixel > 0, got ", size, " and ", pixel);
  JetImage image{
      .size = size, .pixel = pixel, .intensity = std::vector<double>(size_t(size * size))};
  const double half = double(size) / 2;
  for (const Particle& p : constituents) {
    const double row = std::floor(half - (p.eta - eta0) / pixel);
    const double col = std::floor(delta_phi(p.phi, phi0) / pixel + half);
    if (row < 0 || col < 0 || row >= double(size) || col >= double(size)) continue;
    image.at(int64_t(row), int64_t(col)) += p.pt;
  }
  return image;
}

std::vector<Particle> image_particles(const JetImage& image) {
  std::vector<Particle> out;
  for (int64_t r = 0; r < image.size; ++r)
    for (int64_t c = 0; c < image.size; ++c)
      if (image.at(r, c) != 0) out.push_back({image.at(r, c), image.eta_of(r), image.phi_of(c)});
  return out;
}

double image_mass(const JetImage& image) {
  FourVector sum;
  for (int64_t r = 0; r < image.size; ++r)
    for (int64_t c = 0; c < image.size; ++c)
      if (image.at(r, c) != 0)
        sum += four_vector({image.at(r, c), image.eta_of(r), image.phi_of(c)});
  return sum.mass();
}

double image_sum(const JetImage& image) {
  double s = 0;
  for (double v : image.intensity) s += v;
  return s;
}

}  // namespace physcnn::physics::jets

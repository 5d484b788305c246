// Jet-image preprocessing on the pixels and, mass-preserving, on the constituents.
#include "physics/jets/preprocess.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace physcnn::physics::jets {

namespace {

// Adds value at (eta, phi) to the four pixels around it with bilinear weights, so the total is
// kept unless part falls off the image.
void splat(JetImage& image, double eta, double phi, double value) {
  const double half = double(image.size - 1) / 2;
  const double r = half - eta / image.pixel, c = phi / image.pixel + half;
  const double r0 = std::floor(r), c0 = std::floor(c);
  const double fr = r - r0, fc = c - c0;
  const double w[2][2] = {{(1 - fr) * (1 - fc), (1 - fr) * fc}, {fr * (1 - fc), fr * fc}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const double row = r0 + i, col = c0 + j;
      if (w[i][j] == 0 || row < 0 || col < 0 || row >= double(image.size) ||
          col >= double(image.size))
        continue;
      image.at(int64_t(row), int64_t(col)) += value * w[i][j];
    }
}

// Moves every pixel's content from (eta, phi) to move(eta, phi).
template <class Move>
JetImage resample(const JetImage& image, Move move) {
  JetImage out{.size = image.size,
               .pixel = image.pixel,
               .intensity = std::vector<double>(image.intensity.size())};
  for (int64_t r = 0; r < image.size; ++r)
    for (int64_t c = 0; c < image.size; ++c) {
      if (image.at(r, c) == 0) continue;
      double eta = image.eta_of(r), phi = image.phi_of(c);
      move(eta, phi);
      splat(out, eta, phi, image.at(r, c));
    }
  return out;
}

void centroid(const std::vector<Particle>& ps, double& eta, double& phi) {
  double s = 0, se = 0, sp = 0;
  for (const Particle& p : ps) s += p.pt, se += p.pt * p.eta, sp += p.pt * p.phi;
  eta = s > 0 ? se / s : 0;
  phi = s > 0 ? sp / s : 0;
}

bool more_below(const std::vector<Particle>& ps) {
  double up = 0, down = 0;
  for (const Particle& p : ps) (p.eta > 0 ? up : down) += p.eta == 0 ? 0 : p.pt;
  return down > up;
}

}  // namespace

double principal_angle(const std::vector<Particle>& particles) {
  double sxx = 0, syy = 0, sxy = 0;
  for (const Particle& p : particles) {
    sxx += p.pt * p.phi * p.phi;
    syy += p.pt * p.eta * p.eta;
    sxy += p.pt * p.phi * p.eta;
  }
  return 0.5 * std::atan2(2 * sxy, sxx - syy);
}

JetImage centre_image(const JetImage& image) {
  double eta, phi;
  centroid(image_particles(image), eta, phi);
  return resample(image, [&](double& e, double& p) { e -= eta, p -= phi; });
}

JetImage rotate_image(const JetImage& image) {
  const double a = std::numbers::pi / 2 - principal_angle(image_particles(image));
  const double ca = std::cos(a), sa = std::sin(a);
  return resample(image, [&](double& e, double& p) {
    const double x = p * ca - e * sa, y = p * sa + e * ca;
    p = x, e = y;
  });
}

JetImage flip_image(const JetImage& image) {
  if (!more_below(image_particles(image))) return image;
  JetImage out = image;
  for (int64_t r = 0; r < image.size; ++r)
    for (int64_t c = 0; c < image.size; ++c) out.at(r, c) = image.at(image.size - 1 - r, c);
  return out;
}

JetImage normalise_image(const JetImage& image) {
  const double s = image_sum(image);
  JetImage out = image;
  if (s != 0)
    for (double& v : out.intensity) v /= s;
  return out;
}

std::vector<Particle> centre_constituents(const std::vector<Particle>& particles) {
  if (particles.empty()) return particles;
  // phi relative to the hardest particle first, so a jet across phi = pi has one centroid.
  size_t lead = 0;
  for (size_t i = 1; i < particles.size(); ++i)
    if (particles[i].pt > particles[lead].pt) lead = i;
  std::vector<Particle> out = particles;
  for (Particle& p : out) p.phi = delta_phi(p.phi, particles[lead].phi);
  double eta, phi;
  centroid(out, eta, phi);
  for (Particle& p : out) p.eta -= eta, p.phi = delta_phi(p.phi, phi);
  return out;
}

std::vector<Particle> rotate_constituents(const std::vector<Particle>& particles) {
  const double a = std::numbers::pi / 2 - principal_angle(particles);
  const double ca = std::cos(a), sa = std::sin(a);
  std::vector<Particle> out;
  out.reserve(particles.size());
  for (const Particle& p : particles) {
    const FourVector v = four_vector(p);
    out.push_back(from_momentum(v.px, v.py * ca - v.pz * sa, v.py * sa + v.pz * ca));
  }
  return out;
}

std::vector<Particle> flip_constituents(const std::vector<Particle>& particles) {
  std::vector<Particle> out = particles;
  if (more_below(particles))
    for (Particle& p : out) p.eta = -p.eta;
  return out;
}

Preprocess parse_preprocess(const std::string& name) {
  if (name == "none") return Preprocess::None;
  if (name == "image") return Preprocess::Image;
  if (name == "constituents") return Preprocess::Constituents;
  throw UsageError("jet preprocessing '" + name + "': expected none, image or constituents");
}

const char* preprocess_name(Preprocess p) {
  switch (p) {
    case Preprocess::None:
      return "none";
    case Preprocess::Image:
      return "image";
    case Preprocess::Constituents:
      return "constituents";
  }
  return "?";
}

JetImage make_image(const std::vector<Particle>& constituents, double eta0, double phi0,
                    const ImageOptions& o) {
  JetImage image;
  if (o.preprocess == Preprocess::Constituents) {
    const auto moved = flip_constituents(rotate_constituents(centre_constituents(constituents)));
    image = pixelise(moved, 0, 0, o.size, o.pixel);
  } else {
    image = pixelise(constituents, eta0, phi0, o.size, o.pixel);
    if (o.preprocess == Preprocess::Image) image = flip_image(rotate_image(centre_image(image)));
  }
  return o.normalise ? normalise_image(image) : image;
}

}  // namespace physcnn::physics::jets

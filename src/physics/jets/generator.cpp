// The toy jets: a W decayed isotropically in its rest frame or a QCD parton, an angular-ordered
// leading-log shower (emission density (2 alpha_s C / pi) dtheta/theta dz/z), soft particles,
// anti-k_T, then the image.
#include "physics/jets/generator.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "physics/jets/cluster.hpp"

namespace physcnn::physics::jets {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kCF = 4.0 / 3, kCA = 3.0;

void check_options(const JetOptions& o) {
  PHYSCNN_CHECK_ARG(o.events >= 1, "jets: events must be >= 1, got ", o.events);
  PHYSCNN_CHECK_ARG(o.pt_min > 0 && o.pt_max >= o.pt_min, "jets: need 0 < pt_min <= pt_max, got ",
                    o.pt_min, " and ", o.pt_max);
  PHYSCNN_CHECK_ARG(o.eta_max >= 0 && o.eta_max <= 4, "jets: eta_max must be in [0, 4], got ",
                    o.eta_max);
  PHYSCNN_CHECK_ARG(o.w_mass > 0 && o.w_width >= 0, "jets: need w_mass > 0 and w_width >= 0");
  PHYSCNN_CHECK_ARG(o.radius > 0 && o.radius <= 2, "jets: radius must be in (0, 2], got ",
                    o.radius);
  PHYSCNN_CHECK_ARG(o.alpha_s >= 0 && o.alpha_s < 1, "jets: alpha_s must be in [0, 1), got ",
                    o.alpha_s);
  PHYSCNN_CHECK_ARG(o.shower_cutoff > 0 && o.min_angle > 0,
                    "jets: shower_cutoff and min_angle must be > 0");
  PHYSCNN_CHECK_ARG(o.soft_density >= 0 && o.soft_density <= 1000 && o.soft_pt > 0,
                    "jets: need 0 <= soft_density <= 1000 and soft_pt > 0");
  PHYSCNN_CHECK_ARG(o.image.size >= 3 && o.image.size <= 256 && o.image.pixel > 0,
                    "jets: image size must be in [3, 256] and pixel > 0, got ", o.image.size,
                    " and ", o.image.pixel);
}

int64_t poisson(Rng& rng, double mean) {
  // Knuth's product of uniforms (means here are tens at most).
  const double limit = std::exp(-mean);
  int64_t k = 0;
  for (double prod = rng.uniform(); prod > limit; prod *= rng.uniform()) ++k;
  return k;
}

// Angular-ordered emissions off a parton of colour factor `colour`: angles drawn downwards from
// theta_max with the Sudakov of dP = (2 alpha_s C / pi) dtheta/theta dz/z, z log-uniform in
// [z_min, 1/2]. Each emission takes z p_T at angle theta and azimuth psi around the parent and
// showers itself (a gluon, C_A) inside theta; the parent recoils so the p_T-weighted centre
// stays. Final partons go to `out`.
void shower(Particle parent, double colour, double theta_max, const JetOptions& o, Rng& rng,
            std::vector<Particle>& out, int depth = 0) {
  double theta = theta_max;
  while (depth < 12) {
    const double z_min = o.shower_cutoff / parent.pt;
    if (z_min >= 0.5) break;
    const double log_z = std::log(0.5 / z_min);
    const double rate = 2 * o.alpha_s * colour / kPi * log_z;  // emissions per unit ln(theta)
    if (rate <= 0) break;
    theta *= std::exp(std::log(1 - rng.uniform()) / rate);
    if (theta < o.min_angle) break;
    const double z = z_min * std::exp(rng.uniform() * log_z);
    const double psi = rng.uniform(0, 2 * kPi);
    const double d_eta = theta * std::cos(psi), d_phi = theta * std::sin(psi);
    Particle gluon{z * parent.pt, parent.eta + (1 - z) * d_eta, parent.phi + (1 - z) * d_phi};
    parent = {(1 - z) * parent.pt, parent.eta - z * d_eta, parent.phi - z * d_phi};
    shower(gluon, kCA, theta, o, rng, out, depth + 1);
  }
  parent.phi = delta_phi(parent.phi, 0);
  out.push_back(parent);
}

// A Breit-Wigner mass truncated at +-5 widths (inverse CDF of the Cauchy distribution).
double w_mass(const JetOptions& o, Rng& rng) {
  if (o.w_width == 0) return o.w_mass;
  const double lo = std::atan(-10.0), hi = std::atan(10.0);
  return o.w_mass + 0.5 * o.w_width * std::tan(lo + (hi - lo) * rng.uniform());
}

// W -> q qbar: isotropic in the rest frame, boosted to a W of (pt, eta, phi, m).
void w_decay(double pt, double eta, double phi, double m, Rng& rng, Particle& q1, Particle& q2) {
  const double cos_t = rng.uniform(-1, 1), sin_t = std::sqrt(1 - cos_t * cos_t);
  const double az = rng.uniform(0, 2 * kPi);
  const double half = m / 2;
  const double kx = half * sin_t * std::cos(az), ky = half * sin_t * std::sin(az),
               kz = half * cos_t;
  const FourVector w = four_vector({pt, eta, phi});
  const double p2 = w.px * w.px + w.py * w.py + w.pz * w.pz;
  const double e = std::sqrt(p2 + m * m);
  const double bx = w.px / e, by = w.py / e, bz = w.pz / e, b2 = p2 / (e * e);
  const double gamma = e / m;
  for (int sign : {1, -1}) {
    const double px = sign * kx, py = sign * ky, pz = sign * kz;
    const double bp = bx * px + by * py + bz * pz;
    const double factor = (gamma - 1) * bp / b2 + gamma * half;
    (sign > 0 ? q1 : q2) = from_momentum(px + factor * bx, py + factor * by, pz + factor * bz);
  }
}

}  // namespace

std::vector<Particle> draw_particles(int64_t label, uint64_t seed, int64_t event,
                                     const JetOptions& o) {
  Rng rng = Rng(seed).fork(uint64_t(event));
  const double pt = rng.uniform(o.pt_min, o.pt_max);
  const double eta = rng.uniform(-o.eta_max, o.eta_max);
  const double phi = rng.uniform(-kPi, kPi);
  std::vector<Particle> out;
  if (label == 1) {
    Particle q1, q2;
    w_decay(pt, eta, phi, w_mass(o, rng), rng, q1, q2);
    const double opening = std::hypot(q1.eta - q2.eta, delta_phi(q1.phi, q2.phi));
    shower(q1, kCF, opening, o, rng, out);
    shower(q2, kCF, opening, o, rng, out);
  } else {
    const bool gluon = rng.uniform() < 0.5;
    shower({pt, eta, phi}, gluon ? kCA : kCF, o.radius, o, rng, out);
  }
  // Soft particles uniform in a square of side 2R + 1 around the jet direction.
  const double side = 2 * o.radius + 1;
  const int64_t soft = poisson(rng, o.soft_density * side * side);
  for (int64_t i = 0; i < soft; ++i) {
    const double spt = -o.soft_pt * std::log(1 - rng.uniform());
    out.push_back({spt, eta + side * (rng.uniform() - 0.5),
                   delta_phi(phi + side * (rng.uniform() - 0.5), 0)});
  }
  return out;
}

JetDataset generate(const JetOptions& o) {
  check_options(o);
  const int64_t n = o.events, pixels = o.image.size * o.image.size;
  JetDataset d;
  d.size = o.image.size;
  d.images.assign(size_t(n * pixels), 0.0f);
  d.labels.resize(size_t(n));
  d.mass.resize(size_t(n)), d.pt.resize(size_t(n)), d.eta.resize(size_t(n));
  d.phi.resize(size_t(n)), d.image_mass.resize(size_t(n));
  std::vector<std::vector<Particle>> parts(static_cast<size_t>(n));
  parallel_for(0, n, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      const auto i = size_t(e);
      d.labels[i] = e % 2;
      const auto jets = cluster_antikt(draw_particles(e % 2, o.seed, e, o), o.radius);
      // Never empty: every event holds at least its hard parton.
      const ClusteredJet& j = jets.front();
      d.mass[i] = j.mass, d.pt[i] = j.pt, d.eta[i] = j.eta, d.phi[i] = j.phi;
      const JetImage image = make_image(j.constituents, j.eta, j.phi, o.image);
      d.image_mass[i] = image_mass(image);
      for (int64_t p = 0; p < pixels; ++p)
        d.images[size_t(e * pixels + p)] = float(image.intensity[size_t(p)]);
      parts[i] = j.constituents;
    }
  });
  d.first.push_back(0);
  for (auto& p : parts) {
    d.constituents.insert(d.constituents.end(), p.begin(), p.end());
    d.first.push_back(int64_t(d.constituents.size()));
  }
  return d;
}

}  // namespace physcnn::physics::jets

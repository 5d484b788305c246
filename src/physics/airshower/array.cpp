// Geometry and physics of the toy surface detector: station positions, the lateral distribution
// function, the shower front and Poisson draws.
#include "physics/airshower/array.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace physcnn::physics::airshower {

StationPositions station_positions(Grid grid, int64_t rows, int64_t cols, double spacing) {
  StationPositions p;
  p.x.resize(size_t(rows * cols));
  p.y.resize(size_t(rows * cols));
  const double dx = grid == Grid::Hex ? spacing * std::numbers::sqrt3 / 2 : spacing;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double shift = grid == Grid::Hex && c % 2 == 1 ? 0.5 : 0.0;
      p.x[size_t(r * cols + c)] = double(c) * dx;
      p.y[size_t(r * cols + c)] = -(double(r) + shift) * spacing;
    }
  // Centre the array on the origin (the mean of the stations).
  double mx = 0, my = 0;
  for (size_t i = 0; i < p.x.size(); ++i) mx += p.x[i], my += p.y[i];
  mx /= double(p.x.size());
  my /= double(p.y.size());
  for (size_t i = 0; i < p.x.size(); ++i) p.x[i] -= mx, p.y[i] -= my;
  return p;
}

double Ldf::operator()(double s1000_vem, double r) const {
  const double rr = std::max(r, r_min);
  return s1000_vem * std::pow(rr / 1000.0, beta) * std::pow((rr + 700.0) / 1700.0, beta + gamma);
}

double s1000(double energy_eev, double zenith) {
  const double s38 = std::pow(energy_eev / 0.186, 1.0 / 1.031);
  const double c38 = std::cos(38.0 * std::numbers::pi / 180.0);
  const double x = std::cos(zenith) * std::cos(zenith) - c38 * c38;
  return s38 * (1.0 + 0.98 * x - 1.68 * x * x);
}

double axis_distance(const Shower& s, double x, double y) {
  const double px = x - s.core_x, py = y - s.core_y;  // the point relative to the core (z = 0)
  const double along = px * s.ux + py * s.uy;
  return std::sqrt(std::max(0.0, px * px + py * py - along * along));
}

double front_time(const Shower& s, double x, double y, double curvature) {
  const double px = x - s.core_x, py = y - s.core_y;
  if (curvature <= 0) return -(px * s.ux + py * s.uy) / kSpeedOfLight;
  const double R = curvature;
  const double dx = px - R * s.ux, dy = py - R * s.uy, dz = -R * s.uz;
  return (std::sqrt(dx * dx + dy * dy + dz * dz) - R) / kSpeedOfLight;
}

int64_t poisson(Rng& rng, double mu) {
  if (mu <= 0) return 0;
  if (mu < 10) {  // Knuth: count uniforms until their product falls below exp(-mu)
    const double limit = std::exp(-mu);
    double prod = rng.uniform();
    int64_t k = 0;
    while (prod > limit) {
      prod *= rng.uniform();
      ++k;
    }
    return k;
  }
  // Hoermann (1993), "The transformed rejection method for generating Poisson random
  // variables" (PTRS), as numpy's random_poisson_ptrs.
  const double slam = std::sqrt(mu), loglam = std::log(mu);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double U = rng.uniform() - 0.5, V = rng.uniform();
    const double us = 0.5 - std::abs(U);
    const double k = std::floor((2 * a / us + b) * U + mu + 0.43);
    if (us >= 0.07 && V <= vr) return int64_t(k);
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (std::log(V) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mu + k * loglam - std::lgamma(k + 1))
      return int64_t(k);
  }
}

}  // namespace physcnn::physics::airshower

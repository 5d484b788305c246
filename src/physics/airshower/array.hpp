// The toy surface detector of Erdmann, Glombitza & Walz (2018): a ground array of particle
// detectors on a square or a triangular (hexagonal, as the Pierre Auger array) grid, a lateral
// distribution function for the expected signal, a curved shower front for the arrival times, and
// Poisson sampling. Units: metres, nanoseconds, VEM (vertical-equivalent muons), EeV.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace physcnn::physics::airshower {

enum class Grid { Square, Hex };

inline constexpr double kSpeedOfLight = 0.299792458;  // m/ns

// Station positions of a rows x cols array, row-major (index row * cols + col), in metres, the
// array's centre at the origin. Square: x = col * d, y = -row * d. Hex: the odd-q offset layout
// of nn/hex_grid.hpp (odd columns half a cell lower) scaled to neighbour spacing d:
// x = col * d * sqrt(3)/2, y = -(row + (col odd) / 2) * d (rows count downwards, y points up).
struct StationPositions {
  std::vector<double> x, y;
};
StationPositions station_positions(Grid grid, int64_t rows, int64_t cols, double spacing);

// The lateral distribution function (the form Auger uses, Aab et al. JINST 2020):
// S(r) = S1000 (r / 1000 m)^beta ((r + 700 m) / 1700 m)^(beta + gamma), r the distance from the
// shower axis in the shower plane. r is clamped below at r_min so the core stays finite.
struct Ldf {
  double beta = -2.0, gamma = -0.5, r_min = 50.0;
  double operator()(double s1000, double r) const;
};

// S1000 in VEM for energy E (EeV) and zenith theta: S38 = (E / 0.186 EeV)^(1 / 1.031) VEM times
// the constant-intensity attenuation 1 + a x + b x^2, x = cos^2 theta - cos^2 38 deg, a = 0.98,
// b = -1.68 (Auger's SD calibration and attenuation curve, rounded).
double s1000(double energy_eev, double zenith);

// A shower: arrival direction as the unit vector u pointing from the ground to where the shower
// comes from (zenith theta: u_z = cos theta), core on the ground (metres), energy in EeV.
struct Shower {
  double energy = 10;             // EeV
  double ux = 0, uy = 0, uz = 1;  // unit vector towards the source
  double core_x = 0, core_y = 0;  // m
};

// Distance of ground point (x, y, 0) from the shower axis.
double axis_distance(const Shower& s, double x, double y);
// Arrival time (ns) of a spherical front of radius `curvature` (m) centred on the axis at
// curvature metres above the core, which reaches the core at t = 0:
// t = (|p - core - R u| - R) / c. curvature <= 0: a plane front, t = -(p - core) . u / c.
double front_time(const Shower& s, double x, double y, double curvature);

// One Poisson draw of mean mu >= 0 (exact: multiplication for mu < 10, Hoermann's PTRS above).
int64_t poisson(Rng& rng, double mu);

}  // namespace physcnn::physics::airshower

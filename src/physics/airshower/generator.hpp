// `physcnn generate airshower`: events of the toy surface detector. Each station of the array
// records a signal (Poisson around the lateral distribution function, saturated, 0 below one
// particle or when the station is dead) and the arrival time of the curved front with Gaussian
// jitter. Reproducible per seed whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/airshower/array.hpp"

namespace physcnn::physics::airshower {

struct ShowerOptions {
  Grid grid = Grid::Square;
  int64_t rows = 9, cols = 9;
  double spacing = 750;  // m between neighbouring stations
  int64_t events = 1000;
  uint64_t seed = 0;                        // event i uses Rng(seed).fork(i)
  double energy_min = 1, energy_max = 100;  // EeV, drawn log-uniformly
  double zenith_max = 60;                   // degrees; isotropic flux on a flat array:
                                            // sin^2(theta) uniform, azimuth uniform
  double core_range = 750;                  // m: core uniform in [-range, range]^2
  Ldf ldf;
  double curvature = 12000;     // m, radius of the front (<= 0: plane)
  double time_jitter = 20;      // ns, Gaussian sigma of each arrival time
  double saturation = 1000;     // VEM: signals are clipped here (0: none)
  double threshold = 1;         // VEM: smaller signals do not trigger (read 0)
  double dead_fraction = 0.02;  // probability that a station records nothing
  bool fluctuations = true;     // false: signal = expected value, no jitter
};

// One event's station records, row-major like station_positions.
struct StationRecords {
  std::vector<double> signal;  // VEM (0: not triggered or dead)
  std::vector<double> time;    // ns, front time + jitter (0 where signal is 0)
};

// The records of one shower (uses rng for the fluctuations and dead stations).
StationRecords simulate(const Shower& shower, const ShowerOptions& options,
                        const StationPositions& stations, Rng& rng);
// A shower drawn from the options' spectrum, sky and core range.
Shower draw_shower(const ShowerOptions& options, Rng& rng);

struct ShowerDataset {
  int64_t rows = 0, cols = 0;
  // (N, 2, rows, cols): channel 0 log10(1 + S / VEM), channel 1 arrival time in microseconds
  // after the event's first triggered station (both 0 where a station has no signal).
  std::vector<float> x;
  // (N, 6): log10(E / 10 EeV), u_x, u_y, u_z, core_x / km, core_y / km (the layout of the
  // `airshower` metric set, train/metric_sets.hpp).
  std::vector<float> y;
  std::vector<double> signal, time;  // (N, rows, cols): VEM and ns (time relative as in x)
  std::vector<double> energy;        // (N) EeV
  std::vector<double> direction;     // (N, 3)
  std::vector<double> core;          // (N, 2) m
  std::vector<int64_t> triggered;    // (N) stations with a signal
  int64_t count() const { return int64_t(energy.size()); }
};

// Draws the events in parallel. UsageError naming the option when one is out of range.
ShowerDataset generate(const ShowerOptions& options);
void check_options(const ShowerOptions& options);

}  // namespace physcnn::physics::airshower

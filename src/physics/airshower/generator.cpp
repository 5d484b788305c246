// Events of the toy surface detector: showers drawn from the spectrum and the sky, station
// signals and times, and the network-ready arrays.
#include "physics/airshower/generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::physics::airshower {

namespace {
constexpr double kDeg = std::numbers::pi / 180.0;
}

void check_options(const ShowerOptions& o) {
  PHYSCNN_CHECK_ARG(o.rows >= 2 && o.cols >= 2 && o.rows <= 1000 && o.cols <= 1000,
                    "airshower: the array needs 2 to 1000 rows and columns, got ", o.rows, "x",
                    o.cols);
  PHYSCNN_CHECK_ARG(std::isfinite(o.spacing) && o.spacing > 0,
                    "airshower: --spacing must be positive metres, got ", o.spacing);
  PHYSCNN_CHECK_ARG(o.events >= 1, "airshower: --n must be >= 1, got ", o.events);
  PHYSCNN_CHECK_ARG(std::isfinite(o.energy_min) && std::isfinite(o.energy_max) &&
                        o.energy_min > 0 && o.energy_max >= o.energy_min,
                    "airshower: energies need 0 < --energy-min <= --energy-max (EeV), got ",
                    o.energy_min, " and ", o.energy_max);
  PHYSCNN_CHECK_ARG(o.zenith_max >= 0 && o.zenith_max < 90,
                    "airshower: --zenith-max must be in [0, 90) degrees, got ", o.zenith_max);
  PHYSCNN_CHECK_ARG(std::isfinite(o.core_range) && o.core_range >= 0,
                    "airshower: --core-range must be >= 0 metres, got ", o.core_range);
  PHYSCNN_CHECK_ARG(std::isfinite(o.curvature), "airshower: --curvature must be finite");
  PHYSCNN_CHECK_ARG(std::isfinite(o.time_jitter) && o.time_jitter >= 0,
                    "airshower: --jitter must be >= 0 ns, got ", o.time_jitter);
  PHYSCNN_CHECK_ARG(std::isfinite(o.saturation) && o.saturation >= 0,
                    "airshower: --saturation must be >= 0 VEM (0: none), got ", o.saturation);
  PHYSCNN_CHECK_ARG(std::isfinite(o.threshold) && o.threshold >= 0,
                    "airshower: --threshold must be >= 0 VEM, got ", o.threshold);
  PHYSCNN_CHECK_ARG(o.dead_fraction >= 0 && o.dead_fraction < 1,
                    "airshower: --dead must be in [0, 1), got ", o.dead_fraction);
}

Shower draw_shower(const ShowerOptions& o, Rng& rng) {
  Shower s;
  const double l0 = std::log(o.energy_min), l1 = std::log(o.energy_max);
  s.energy = std::exp(rng.uniform(l0, l1));
  // Isotropic flux through a flat array: dN/dcos(theta) ~ cos(theta), so sin^2 is uniform.
  const double s2max = std::pow(std::sin(o.zenith_max * kDeg), 2);
  const double sin_theta = std::sqrt(rng.uniform() * s2max);
  const double phi = rng.uniform(0, 2 * std::numbers::pi);
  s.ux = sin_theta * std::cos(phi);
  s.uy = sin_theta * std::sin(phi);
  s.uz = std::sqrt(1 - sin_theta * sin_theta);
  s.core_x = rng.uniform(-o.core_range, o.core_range);
  s.core_y = rng.uniform(-o.core_range, o.core_range);
  return s;
}

StationRecords simulate(const Shower& sh, const ShowerOptions& o, const StationPositions& st,
                        Rng& rng) {
  const size_t n = st.x.size();
  StationRecords rec;
  rec.signal.assign(n, 0.0);
  rec.time.assign(n, 0.0);
  const double s1 = s1000(sh.energy, std::acos(std::clamp(sh.uz, -1.0, 1.0)));
  for (size_t i = 0; i < n; ++i) {
    // Draw every station's numbers in the same order whatever happens, so options that change
    // one station do not reshuffle the others.
    const double dead = rng.uniform(), jitter = rng.normal();
    const double mu = o.ldf(s1, axis_distance(sh, st.x[i], st.y[i]));
    double signal = o.fluctuations ? double(poisson(rng, mu)) : mu;
    if (dead < o.dead_fraction || signal < o.threshold || signal <= 0) continue;
    if (o.saturation > 0) signal = std::min(signal, o.saturation);
    rec.signal[i] = signal;
    rec.time[i] = front_time(sh, st.x[i], st.y[i], o.curvature) +
                  (o.fluctuations ? o.time_jitter * jitter : 0.0);
  }
  return rec;
}

ShowerDataset generate(const ShowerOptions& o) {
  check_options(o);
  const StationPositions st = station_positions(o.grid, o.rows, o.cols, o.spacing);
  const int64_t N = o.events, S = o.rows * o.cols;
  ShowerDataset d;
  d.rows = o.rows;
  d.cols = o.cols;
  d.x.assign(size_t(N * 2 * S), 0.0f);
  d.y.assign(size_t(N * 6), 0.0f);
  d.signal.assign(size_t(N * S), 0.0);
  d.time.assign(size_t(N * S), 0.0);
  d.energy.assign(size_t(N), 0.0);
  d.direction.assign(size_t(N * 3), 0.0);
  d.core.assign(size_t(N * 2), 0.0);
  d.triggered.assign(size_t(N), 0);
  const Rng base(o.seed, 0x53484f574552ULL);  // stream tag "SHOWER"
  parallel_for(0, N, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      Rng rng = base.fork(uint64_t(e));
      const Shower sh = draw_shower(o, rng);
      StationRecords rec = simulate(sh, o, st, rng);
      double t0 = 0;
      bool any = false;
      for (int64_t i = 0; i < S; ++i)
        if (rec.signal[size_t(i)] > 0) {
          t0 = any ? std::min(t0, rec.time[size_t(i)]) : rec.time[size_t(i)];
          any = true;
        }
      int64_t hits = 0;
      for (int64_t i = 0; i < S; ++i) {
        const size_t k = size_t(e * S + i);
        if (rec.signal[size_t(i)] <= 0) continue;
        ++hits;
        d.signal[k] = rec.signal[size_t(i)];
        d.time[k] = rec.time[size_t(i)] - t0;
        d.x[size_t(e * 2 * S + i)] = float(std::log10(1 + d.signal[k]));
        d.x[size_t(e * 2 * S + S + i)] = float(d.time[k] / 1000.0);
      }
      d.triggered[size_t(e)] = hits;
      d.energy[size_t(e)] = sh.energy;
      d.direction[size_t(e * 3)] = sh.ux;
      d.direction[size_t(e * 3 + 1)] = sh.uy;
      d.direction[size_t(e * 3 + 2)] = sh.uz;
      d.core[size_t(e * 2)] = sh.core_x;
      d.core[size_t(e * 2 + 1)] = sh.core_y;
      float* y = &d.y[size_t(e * 6)];
      y[0] = float(std::log10(sh.energy / 10.0));
      y[1] = float(sh.ux), y[2] = float(sh.uy), y[3] = float(sh.uz);
      y[4] = float(sh.core_x / 1000.0), y[5] = float(sh.core_y / 1000.0);
    }
  });
  return d;
}

}  // namespace physcnn::physics::airshower

// The generator: a pilot run measures tau_int, which sets equilibration and spacing; then the
// production run saves configurations and measures the per-temperature summary.
#include "physics/ising/generator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "physics/ising/lattice.hpp"
#include "physics/ising/multispin.hpp"
#include "physics/ising/triangular_multispin.hpp"

namespace physcnn::physics::ising {

std::vector<double> make_temperatures(const TemperatureGrid& g) {
  PHYSCNN_CHECK_ARG(g.count >= 1 && g.extra_near_tc >= 0 && g.extra_width >= 0.0,
                    "make_temperatures: count must be >= 1, extra_near_tc and extra_width >= 0 ",
                    "(count=", g.count, ", extra_near_tc=", g.extra_near_tc,
                    ", extra_width=", g.extra_width, ")");
  std::vector<double> t;
  for (int64_t i = 0; i < g.count; ++i) {
    t.push_back(g.count == 1 ? g.start
                             : g.start + (g.stop - g.start) * double(i) / double(g.count - 1));
  }
  for (int64_t i = 0; i < g.extra_near_tc; ++i) {
    const double lo = kCriticalTemperature - g.extra_width,
                 hi = kCriticalTemperature + g.extra_width;
    t.push_back(g.extra_near_tc == 1 ? kCriticalTemperature
                                     : lo + (hi - lo) * double(i) / double(g.extra_near_tc - 1));
  }
  std::sort(t.begin(), t.end());
  t.erase(
      std::unique(t.begin(), t.end(), [](double a, double b) { return std::fabs(a - b) < 1e-9; }),
      t.end());
  for (double T : t) check_temperature("make_temperatures", T);
  return t;
}

namespace {

constexpr int kR = MultiSpinLattice::kReplicas;

// Per-replica series of E/N and |M|/N (and M/N) over consecutive sweeps.
struct Series {
  std::vector<std::vector<double>> e{size_t(kR)}, abs_m{size_t(kR)}, m{size_t(kR)};
  template <class Engine>
  void record(const Engine& lat) {
    double e_now[kR], m_now[kR];
    lat.measure(e_now, m_now);
    for (int r = 0; r < kR; ++r) {
      e[size_t(r)].push_back(e_now[r]);
      m[size_t(r)].push_back(m_now[r]);
      abs_m[size_t(r)].push_back(std::fabs(m_now[r]));
    }
  }
  // The second half of every chain (the first half is equilibration).
  static std::vector<std::vector<double>> tail(const std::vector<std::vector<double>>& v) {
    std::vector<std::vector<double>> out;
    for (const auto& ch : v) out.emplace_back(ch.begin() + std::ptrdiff_t(ch.size() / 2), ch.end());
    return out;
  }
};

std::vector<double> replica_average(const std::vector<std::vector<double>>& v) {
  std::vector<double> out(v[0].size(), 0.0);
  for (const auto& ch : v) {
    for (size_t i = 0; i < ch.size(); ++i) out[i] += ch[i] / double(v.size());
  }
  return out;
}

// Temperature `index` of the options, written to position `slot` of `out` (its configurations
// at slot * configs_per_temperature, its summary at slot).
template <class Engine>
void run_temperature(const GeneratorOptions& o, size_t index, size_t slot, IsingDataset& out) {
  const double T = o.temperatures[index];
  const int64_t L = o.lattice_size, n_cfg = o.configs_per_temperature;
  const double tc =
      o.critical_temperature > 0 ? o.critical_temperature : exact_critical_temperature(o.lattice);
  const bool use_wolff = o.field == 0.0 && std::fabs(T - tc) <= o.wolff_window;
  const int clusters = use_wolff ? o.wolff_clusters : 0;
  Rng rng = Rng(o.seed).fork(index);
  Engine lat(L, rng.fork(1));
  lat.set_parameters(T, o.field);
  if (T < tc) {
    lat.fill_ordered(lat.random_bits());
  } else {
    lat.fill_random();
  }

  // Pilot run: tau from the second half; double the run until that half holds >= 50 tau.
  TemperatureSummary s;
  s.temperature = T;
  int64_t done = 0, pilot = o.pilot_sweeps;
  for (;;) {
    Series pilot_series;
    for (int64_t i = 0; i < pilot; ++i) {
      lat.mixed_sweep(clusters);
      pilot_series.record(lat);
    }
    done += pilot;
    s.tau_energy = integrated_autocorrelation_time(Series::tail(pilot_series.e));
    s.tau_abs_magnetisation = integrated_autocorrelation_time(Series::tail(pilot_series.abs_m));
    const double tau = std::max(s.tau_energy.tau, s.tau_abs_magnetisation.tau);
    const bool reliable = s.tau_energy.reliable && s.tau_abs_magnetisation.reliable;
    if ((reliable && double(pilot / 2) >= 50.0 * tau) || pilot * 2 > o.max_pilot_sweeps) break;
    pilot *= 2;
  }
  const double tau = std::max(s.tau_energy.tau, s.tau_abs_magnetisation.tau);
  const int64_t equilibrate = int64_t(std::ceil(o.equilibration_factor * tau));
  for (int64_t i = done; i < equilibrate; ++i) lat.mixed_sweep(clusters);
  s.equilibration_sweeps = std::max(done, equilibrate);
  s.spacing_sweeps = std::max<int64_t>(1, int64_t(std::ceil(o.spacing_factor * tau)));

  // Production: every replica saves one configuration every spacing_sweeps.
  const int64_t saves = (n_cfg + kR - 1) / kR;
  s.measurement_sweeps = std::max(saves * s.spacing_sweeps, o.min_measurement_sweeps);
  Series prod;
  const int64_t N = L * L, first = int64_t(slot) * n_cfg;
  int64_t saved = 0;
  double e_now[kR], m_now[kR];
  for (int64_t sweep = 1; sweep <= s.measurement_sweeps; ++sweep) {
    lat.mixed_sweep(clusters);
    prod.record(lat);
    if (saved < n_cfg && sweep % s.spacing_sweeps == 0) {
      lat.measure(e_now, m_now);
      for (int r = 0; r < kR && saved < n_cfg; ++r, ++saved) {
        const size_t k = size_t(first + saved);
        lat.copy_replica(r, out.spins.data() + k * size_t(N));
        out.temperature[k] = T;
        out.label[k] = T < tc ? 1 : 0;
        out.energy[k] = e_now[r];
        out.magnetisation[k] = m_now[r];
      }
    }
  }
  const std::vector<double> e = replica_average(prod.e);
  std::vector<std::vector<double>> e2(prod.e);
  for (auto& ch : e2) {
    for (double& x : ch) x *= x;
  }
  s.energy = binned_mean(e);
  s.magnetisation = binned_mean(replica_average(prod.m));
  s.abs_magnetisation = binned_mean(replica_average(prod.abs_m));
  s.specific_heat = binned_jackknife({e, replica_average(e2)}, [&](const std::vector<double>& v) {
    return double(N) * (v[1] - v[0] * v[0]) / (T * T);
  });
  out.summary[slot] = s;
}

}  // namespace

IsingDataset generate_subset(const GeneratorOptions& o, const std::vector<size_t>& indices) {
  PHYSCNN_CHECK_ARG(!o.temperatures.empty(), "ising::generate: no temperatures given");
  check_lattice_size("ising::generate", o.lattice_size);
  if (o.lattice == LatticeType::triangular)
    check_triangular_size("ising::generate", o.lattice_size);
  PHYSCNN_CHECK_ARG(std::isfinite(o.critical_temperature) && o.critical_temperature >= 0.0,
                    "ising::generate: critical_temperature must be >= 0 (0: exact), got ",
                    o.critical_temperature);
  for (double T : o.temperatures) check_temperature("ising::generate", T);
  PHYSCNN_CHECK_ARG(
      o.configs_per_temperature >= 1 && o.wolff_clusters >= 0 && o.wolff_window >= 0.0 &&
          o.pilot_sweeps >= 16 && o.max_pilot_sweeps >= o.pilot_sweeps &&
          o.equilibration_factor >= 0.0 && o.spacing_factor >= 0.0 &&
          o.min_measurement_sweeps >= 32,
      "ising::generate: invalid options (configs_per_temperature=", o.configs_per_temperature,
      " >= 1, wolff_clusters=", o.wolff_clusters, " >= 0, pilot_sweeps=", o.pilot_sweeps,
      " >= 16 and <= max_pilot_sweeps=", o.max_pilot_sweeps,
      ", factors >= 0, min_measurement_sweeps=", o.min_measurement_sweeps, " >= 32)");
  PHYSCNN_CHECK_ARG(std::isfinite(o.field),
                    "ising::generate: field must be finite, got h=", o.field);
  for (size_t i : indices)
    PHYSCNN_CHECK_ARG(i < o.temperatures.size(), "ising::generate: temperature index ", i, " of ",
                      o.temperatures.size(), " temperatures");
  const size_t n_t = indices.size(), total = n_t * size_t(o.configs_per_temperature);
  IsingDataset out;
  out.lattice_size = o.lattice_size;
  out.spins.resize(total * size_t(o.lattice_size * o.lattice_size));
  out.temperature.resize(total);
  out.label.resize(total);
  out.energy.resize(total);
  out.magnetisation.resize(total);
  out.summary.resize(n_t);
  // Workers take temperatures from a shared counter (near-T_c points cost more); each result
  // depends only on its index, so the assignment does not matter.
  std::atomic<size_t> next{0};
  std::exception_ptr failure;  // an exception must not escape an OpenMP region (terminate)
  std::atomic<bool> failed{false};
  parallel_for(0, num_threads(), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      for (size_t i = next++; i < n_t && !failed; i = next++) {
        try {
          if (o.lattice == LatticeType::triangular) {
            run_temperature<TriangularMultiSpin>(o, indices[i], i, out);
          } else {
            run_temperature<MultiSpinLattice>(o, indices[i], i, out);
          }
        } catch (...) {
          if (!failed.exchange(true)) failure = std::current_exception();
        }
      }
    }
  });
  if (failure) std::rethrow_exception(failure);
  return out;
}

IsingDataset generate(const GeneratorOptions& o) {
  std::vector<size_t> all(o.temperatures.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return generate_subset(o, all);
}

Tensor to_tensor(const IsingDataset& data) {
  const int64_t L = data.lattice_size, n = data.count();
  PHYSCNN_CHECK_SHAPE(data.spins.size() == size_t(n * L * L),
                      "ising::to_tensor: ", data.spins.size(), " spins for ", n,
                      " configurations of ", L, "x", L);
  Tensor t = Tensor::empty(Shape{n, 1, L, L}, DType::F32);
  float* p = t.data<float>();
  for (size_t i = 0; i < data.spins.size(); ++i) p[i] = float(data.spins[i]);
  return t;
}

}  // namespace physcnn::physics::ising

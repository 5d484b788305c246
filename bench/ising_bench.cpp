// Throughput of the Ising engines in spin-flip attempts per second: the multi-spin coded
// checkerboard Metropolis (one 64-replica lattice per thread), its mixed Metropolis+Wolff sweep,
// and the reference single-spin sweep. Standalone: `ising_bench [L] [sweeps] [threads]`;
// `ising_bench generate [L] [configs]` runs the generator and prints the per-temperature
// autocorrelation times, equilibration and spacing it chose.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "physics/ising/analysis.hpp"
#include "physics/ising/generator.hpp"
#include "physics/ising/lattice.hpp"
#include "physics/ising/multispin.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Process CPU seconds (all threads). On a shared machine the wall-clock rate understates what
// the cores can do; flips per CPU-second times the thread count is the rate on idle cores.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Rate {
  double wall, per_cpu_second;
};

// One warm-up pass, then the timed pass over all threads together.
Rate multispin_rate(int64_t L, int64_t sweeps, int threads, double T, bool mixed) {
  std::vector<MultiSpinLattice> lattices;
  for (int t = 0; t < threads; ++t) {
    lattices.emplace_back(L, Rng(1).fork(uint64_t(t)));
    lattices.back().set_parameters(T);
    lattices.back().fill_random();
  }
  auto run = [&](int64_t n) {
    parallel_for(0, threads, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        for (int64_t s = 0; s < n; ++s) {
          if (mixed) {
            lattices[size_t(t)].mixed_sweep(1);
          } else {
            lattices[size_t(t)].metropolis_sweep();
          }
        }
      }
    });
  };
  run(sweeps / 10 + 1);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  run(sweeps);
  const double flips =
      double(threads) * double(sweeps) * MultiSpinLattice::kReplicas * double(L * L);
  return {flips / seconds_since(t0), flips / (cpu_seconds() - c0)};
}

double reference_rate(int64_t L, int64_t sweeps, double T) {
  Rng rng(3);
  Lattice lat = Lattice::random(L, rng);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < sweeps; ++s) metropolis_sweep_reference(lat, T, 0.0, rng);
  return double(sweeps) * double(L * L) / seconds_since(t0);
}
}  // namespace

int generate_report(int64_t L, int64_t configs) {
  const GeneratorOptions o{
      .temperatures = make_temperatures(
          {.start = 1.5, .stop = 3.5, .count = 9, .extra_near_tc = 5, .extra_width = 0.2}),
      .lattice_size = L,
      .configs_per_temperature = configs,
      .seed = 1};
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const IsingDataset d = generate(o);
  std::printf("generate L=%lld, %lld configs x %zu temperatures: %.2f s wall, %.2f s CPU\n",
              (long long)L, (long long)configs, o.temperatures.size(), seconds_since(t0),
              cpu_seconds() - c0);
  std::printf("%7s %8s %8s %6s %7s %7s %21s %10s %18s %16s\n", "T", "tau_E", "tau_|m|", "W_|m|",
              "equil", "spacing", "E/N", "Onsager", "|m|", "C/N");
  for (const TemperatureSummary& s : d.summary) {
    std::printf("%7.4f %8.2f %8.2f %6lld %7lld %7lld %11.5f+-%.5f %10.5f %9.4f+-%.4f %9.3f+-%.3f\n",
                s.temperature, s.tau_energy.tau, s.tau_abs_magnetisation.tau,
                (long long)s.tau_abs_magnetisation.window, (long long)s.equilibration_sweeps,
                (long long)s.spacing_sweeps, s.energy.mean, s.energy.error,
                onsager_energy_per_spin(s.temperature), s.abs_magnetisation.mean,
                s.abs_magnetisation.error, s.specific_heat.mean, s.specific_heat.error);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "generate") == 0) {
    return generate_report(argc > 2 ? std::atoll(argv[2]) : 32,
                           argc > 3 ? std::atoll(argv[3]) : 256);
  }
  const int64_t L = argc > 1 ? std::atoll(argv[1]) : 64;
  const int64_t sweeps = argc > 2 ? std::atoll(argv[2]) : 2000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : num_threads();
  set_num_threads(threads);
  std::printf("L=%lld sweeps=%lld threads=%d (64 replicas per thread)\n", (long long)L,
              (long long)sweeps, threads);
  std::printf("flips/s wall-clock (and per CPU-second x threads = rate on idle cores)\n");
  for (double T : {1.5, kCriticalTemperature, 3.5}) {
    const Rate m = multispin_rate(L, sweeps, threads, T, false);
    const Rate w = multispin_rate(L, sweeps / 10 + 1, threads, T, true);
    std::printf(
        "T=%.4f  multispin Metropolis %.3g (%.3g)   mixed +1 Wolff/replica %.3g (%.3g)"
        "   reference 1 thread %.3g\n",
        T, m.wall, m.per_cpu_second * threads, w.wall, w.per_cpu_second * threads,
        reference_rate(L, sweeps / 20 + 1, T));
  }
  return 0;
}

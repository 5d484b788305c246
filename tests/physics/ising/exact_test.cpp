// The Monte Carlo engines against exact enumeration of all 2^16 states of the 4x4 lattice.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "physics/ising/lattice.hpp"
#include "physics/ising/multispin.hpp"
#include "physics/ising/stats.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {

constexpr int kL = 4, kN = kL * kL;

struct Exact {
  double energy, abs_magnetisation, magnetisation, specific_heat;  // per spin
};

// Boltzmann averages over all 2^16 states, written independently of the library.
Exact enumerate(double T, double h) {
  double z = 0, se = 0, se2 = 0, sam = 0, sm = 0;
  std::vector<double> energies(1 << kN), mags(1 << kN);
  double e_min = 1e300;
  for (int state = 0; state < (1 << kN); ++state) {
    auto spin = [&](int r, int c) {
      return (state >> (((r + kL) % kL) * kL + (c + kL) % kL)) & 1 ? 1 : -1;
    };
    int bonds = 0, m = 0;
    for (int r = 0; r < kL; ++r) {
      for (int c = 0; c < kL; ++c) {
        bonds += spin(r, c) * (spin(r + 1, c) + spin(r, c + 1));
        m += spin(r, c);
      }
    }
    energies[size_t(state)] = -bonds - h * m;
    mags[size_t(state)] = m;
    e_min = std::min(e_min, energies[size_t(state)]);
  }
  for (size_t s = 0; s < energies.size(); ++s) {
    const double w = std::exp(-(energies[s] - e_min) / T), e = energies[s];
    z += w;
    se += w * e;
    se2 += w * e * e;
    sam += w * std::fabs(mags[s]);
    sm += w * mags[s];
  }
  const double e = se / z, e2 = se2 / z;
  return {e / kN, sam / z / kN, sm / z / kN, (e2 - e * e) / (kN * T * T)};
}

struct Measured {
  Estimate energy, abs_magnetisation, magnetisation, specific_heat;
};

Measured summarise(const std::vector<double>& e, const std::vector<double>& e2,
                   const std::vector<double>& abs_m, const std::vector<double>& m, double T) {
  return {binned_mean(e), binned_mean(abs_m), binned_mean(m),
          binned_jackknife({e, e2}, [&](const std::vector<double>& v) {
            return kN * (v[1] - v[0] * v[0]) / (T * T);
          })};
}

// Fast engine: per sweep, the average over the 64 replicas (independent chains).
Measured run_multispin(double T, double h, int64_t sweeps, bool wolff, uint64_t seed) {
  MultiSpinLattice lat(kL, Rng(seed));
  lat.set_parameters(T, h);
  lat.fill_random();
  std::vector<double> e, e2, am, m;
  double ev[64], mv[64];
  for (int64_t s = 0; s < sweeps + 200; ++s) {
    if (wolff) {
      lat.mixed_sweep(1);
    } else {
      lat.metropolis_sweep();
    }
    if (s < 200) continue;
    lat.measure(ev, mv);
    double a = 0, b = 0, c = 0, d = 0;
    for (int r = 0; r < 64; ++r) {
      a += ev[r] / 64;
      b += ev[r] * ev[r] / 64;
      c += std::fabs(mv[r]) / 64;
      d += mv[r] / 64;
    }
    e.push_back(a);
    e2.push_back(b);
    am.push_back(c);
    m.push_back(d);
  }
  return summarise(e, e2, am, m, T);
}

// Reference sweeps (kind 0) or Wolff clusters only (kind 1) on one int8 lattice.
Measured run_single(double T, double h, int64_t steps, int kind, uint64_t seed) {
  Rng rng(seed);
  Lattice lat = Lattice::random(kL, rng);
  std::vector<double> e, e2, am, m;
  for (int64_t s = 0; s < steps + 1000; ++s) {
    if (kind == 0) {
      metropolis_sweep_reference(lat, T, h, rng);
    } else {
      wolff_update(lat, T, rng);
    }
    if (s < 1000) continue;
    const double en = energy_per_spin(lat, h), mg = magnetisation_per_spin(lat);
    e.push_back(en);
    e2.push_back(en * en);
    am.push_back(std::fabs(mg));
    m.push_back(mg);
  }
  return summarise(e, e2, am, m, T);
}

// 4 sigma: 5 temperatures x 3 engines x 3 observables = 45 simultaneous comparisons; at 4 sigma
// the chance that any fails by bad luck is ~45 * 6e-5 = 0.3 % (3 sigma would give ~12 %).
constexpr double kSigmas = 4.0;

void expect_agrees(const Measured& mc, const Exact& ex, const char* engine, double T) {
  SCOPED_TRACE(::testing::Message() << engine << " at T=" << T);
  EXPECT_NEAR(mc.energy.mean, ex.energy, kSigmas * mc.energy.error) << "error " << mc.energy.error;
  EXPECT_NEAR(mc.abs_magnetisation.mean, ex.abs_magnetisation, kSigmas * mc.abs_magnetisation.error)
      << "error " << mc.abs_magnetisation.error;
  EXPECT_NEAR(mc.specific_heat.mean, ex.specific_heat, kSigmas * mc.specific_heat.error)
      << "error " << mc.specific_heat.error;
  // The error bars must be small enough for the comparison to mean something.
  EXPECT_LT(mc.energy.error, 0.01);
  EXPECT_LT(mc.specific_heat.error, 0.05);
}

}  // namespace

TEST(IsingExact, EnumerationMatchesQuotedValues) {
  const Exact t2 = enumerate(2.0, 0.0), t3 = enumerate(3.0, 0.0);
  EXPECT_NEAR(t2.energy, -1.75538029, 1e-8);
  EXPECT_NEAR(t2.abs_magnetisation, 0.91894327, 1e-8);
  EXPECT_NEAR(t2.specific_heat, 0.60553266, 1e-8);
  EXPECT_NEAR(t3.energy, -1.01706963, 1e-8);
  EXPECT_NEAR(t3.abs_magnetisation, 0.60129133, 1e-8);
  EXPECT_NEAR(t3.specific_heat, 0.60313471, 1e-8);
}

TEST(IsingExact, AllEnginesAgreeWithEnumeration) {
  uint64_t seed = 100;
  for (double T : {1.0, 2.0, kCriticalTemperature, 2.5, 3.0}) {
    const Exact ex = enumerate(T, 0.0);
    expect_agrees(run_multispin(T, 0.0, 20000, false, ++seed), ex, "multispin Metropolis", T);
    expect_agrees(run_single(T, 0.0, 100000, 0, ++seed), ex, "reference Metropolis", T);
    expect_agrees(run_single(T, 0.0, 100000, 1, ++seed), ex, "Wolff", T);
  }
}

TEST(IsingExact, MixedSweepAgreesWithEnumeration) {
  const double T = kCriticalTemperature;
  expect_agrees(run_multispin(T, 0.0, 10000, true, 7), enumerate(T, 0.0), "mixed sweep", T);
}

// The field path (spin-dependent acceptance classes) against enumeration at h = 0.3.
TEST(IsingExact, FieldAgreesWithEnumeration) {
  for (double T : {1.5, 2.5}) {
    const Exact ex = enumerate(T, 0.3);
    for (int engine = 0; engine < 2; ++engine) {
      const Measured mc =
          engine == 0 ? run_multispin(T, 0.3, 20000, false, 11) : run_single(T, 0.3, 100000, 0, 12);
      SCOPED_TRACE(::testing::Message() << (engine == 0 ? "multispin" : "reference") << " T=" << T);
      EXPECT_NEAR(mc.energy.mean, ex.energy, 4 * mc.energy.error);
      EXPECT_NEAR(mc.magnetisation.mean, ex.magnetisation, 4 * mc.magnetisation.error);
      EXPECT_GT(ex.magnetisation, 0.1);  // the field really polarises
    }
  }
}

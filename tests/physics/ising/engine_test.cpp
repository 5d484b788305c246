// Large-lattice checks against Onsager and Yang, engine bookkeeping, and errors for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "core/error.hpp"
#include "physics/ising/analysis.hpp"
#include "physics/ising/lattice.hpp"
#include "physics/ising/multispin.hpp"
#include "physics/ising/stats.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

// L = 64, 64 replicas from an ordered start. Finite-size corrections to u and |m| at these
// temperatures are O(exp(-L/xi)) with xi <= ~2 lattice spacings, far below the 2e-4 allowance,
// which only guards against the error bar itself being estimated low.
TEST(IsingLarge, EnergyMatchesOnsagerAndMagnetisationMatchesYang) {
  constexpr int64_t L = 64, kEquilibrate = 300, kMeasure = 1500;
  constexpr double kAllowance = 2e-4;
  for (double T : {1.5, 2.0, 3.0}) {
    MultiSpinLattice lat(L, Rng(5).fork(uint64_t(T * 10)));
    lat.set_parameters(T);
    for (int s = 0; s < kEquilibrate; ++s) lat.metropolis_sweep();
    std::vector<double> e, am;
    double ev[64], mv[64];
    for (int s = 0; s < kMeasure; ++s) {
      lat.metropolis_sweep();
      lat.measure(ev, mv);
      double a = 0, b = 0;
      for (int r = 0; r < 64; ++r) {
        a += ev[r] / 64;
        b += std::fabs(mv[r]) / 64;
      }
      e.push_back(a);
      am.push_back(b);
    }
    const Estimate u = binned_mean(e), m = binned_mean(am);
    SCOPED_TRACE(::testing::Message() << "T=" << T << " u=" << u.mean << "+-" << u.error
                                      << " |m|=" << m.mean << "+-" << m.error);
    EXPECT_NEAR(u.mean, onsager_energy_per_spin(T), 3 * u.error + kAllowance);
    if (T == 2.0) {
      EXPECT_NEAR(m.mean, 0.91131938, 3 * m.error + kAllowance);
    }
    if (T < kCriticalTemperature) {
      EXPECT_NEAR(m.mean, yang_magnetisation(T), 3 * m.error + kAllowance);
    }
  }
}

TEST(IsingEngine, MeasureMatchesLatticeObservables) {
  MultiSpinLattice lat(6, Rng(3));
  lat.set_parameters(2.2, 0.4);
  lat.fill_random();
  for (int s = 0; s < 5; ++s) lat.metropolis_sweep();
  double ev[64], mv[64];
  lat.measure(ev, mv);
  for (int r = 0; r < 64; r += 7) {
    const Lattice one = lat.replica(r);
    EXPECT_DOUBLE_EQ(ev[r], energy_per_spin(one, 0.4));
    EXPECT_DOUBLE_EQ(mv[r], magnetisation_per_spin(one));
  }
}

TEST(IsingEngine, SetReplicaRoundTripsAndReplicasDiffer) {
  Rng rng(9);
  const Lattice a = Lattice::random(8, rng);
  MultiSpinLattice lat(8, Rng(1));
  lat.fill_random();
  lat.set_replica(17, a);
  EXPECT_EQ(lat.replica(17).spins, a.spins);
  lat.set_parameters(3.0);
  lat.metropolis_sweep();
  EXPECT_NE(lat.replica(0).spins, lat.replica(1).spins);  // independent random bits per replica
}

TEST(IsingEngine, WolffClusterAtZeroCouplingLimit) {
  // At very high T bonds almost never join: clusters are single sites.
  Rng rng(2);
  Lattice lat = Lattice::random(8, rng);
  for (int i = 0; i < 50; ++i) EXPECT_LE(wolff_update(lat, 1e6, rng), 2);
  // At very low T from an ordered state the cluster is the whole lattice.
  Lattice cold = Lattice::ordered(8);
  EXPECT_EQ(wolff_update(cold, 0.01, rng), 64);
  EXPECT_DOUBLE_EQ(magnetisation_per_spin(cold), -1.0);
}

TEST(IsingEngine, BadInputThrowsWithContext) {
  EXPECT_THROW(MultiSpinLattice(7, Rng(0)), UsageError);
  EXPECT_THROW(Lattice::ordered(0), UsageError);
  MultiSpinLattice lat(4, Rng(0));
  EXPECT_THROW(lat.set_parameters(0.0), UsageError);
  EXPECT_THROW(lat.set_parameters(-1.0), UsageError);
  EXPECT_THROW(lat.set_parameters(NAN), UsageError);
  lat.set_parameters(2.0, 0.5);
  EXPECT_THROW(lat.wolff_update(0), UsageError);
  lat.set_parameters(2.0, 0.0);
  EXPECT_THROW(lat.wolff_update(64), UsageError);
  EXPECT_THROW(lat.set_replica(0, Lattice::ordered(6)), UsageError);
  try {
    MultiSpinLattice bad(5, Rng(0));
    FAIL() << "odd L accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("L=5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("MultiSpinLattice"), std::string::npos) << e.what();
  }
}

namespace {
// tau_int(|m|) in sweeps at T_c, L = 16, from 64 replicas.
AutocorrelationTime tau_abs_m_at_tc(bool mixed) {
  MultiSpinLattice lat(16, Rng(mixed ? 31 : 32));
  lat.set_parameters(kCriticalTemperature);
  lat.fill_random();
  std::vector<std::vector<double>> chains(64);
  double ev[64], mv[64];
  for (int s = 0; s < 2500; ++s) {
    if (mixed) {
      lat.mixed_sweep(1);
    } else {
      lat.metropolis_sweep();
    }
    if (s < 500) continue;
    lat.measure(ev, mv);
    for (int r = 0; r < 64; ++r) chains[size_t(r)].push_back(std::fabs(mv[r]));
  }
  return integrated_autocorrelation_time(chains);
}
}  // namespace

// The point of the mixed sweep: at T_c Metropolis suffers critical slowing down (tau ~ L^2.17),
// one Wolff cluster per sweep removes most of it.
TEST(IsingEngine, MixedSweepDecorrelatesAtTc) {
  const AutocorrelationTime metropolis = tau_abs_m_at_tc(false), mixed = tau_abs_m_at_tc(true);
  SCOPED_TRACE(::testing::Message()
               << "tau Metropolis " << metropolis.tau << "+-" << metropolis.error << ", mixed "
               << mixed.tau << "+-" << mixed.error);
  EXPECT_TRUE(metropolis.reliable);
  EXPECT_TRUE(mixed.reliable);
  EXPECT_GT(metropolis.tau, 5.0);
  EXPECT_LT(3.0 * mixed.tau, metropolis.tau);
  std::printf("tau_int(|m|) at T_c, L=16: Metropolis %.2f, mixed %.2f sweeps\n", metropolis.tau,
              mixed.tau);
}

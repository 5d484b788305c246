// The triangular-lattice Ising model on the odd-q hexagonal grid: neighbours against Cartesian
// distances, every engine against exact enumeration of the 4x4 torus, large lattices against
// Houtappel's exact energy and Potts' magnetisation, and the generator's triangular option.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "physics/ising/generator.hpp"
#include "physics/ising/stats.hpp"
#include "physics/ising/triangular.hpp"
#include "physics/ising/triangular_multispin.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {

// The cell centres of the hex layers' storage (nn/hex_grid.hpp, written again here): column c
// at x = c sqrt(3)/2, odd columns half a cell lower.
double distance_on_torus(int64_t L, int64_t i, int64_t j) {
  const double w = double(L) * std::sqrt(3.0) / 2;
  auto pos = [L](int64_t k) {
    const int64_t r = k / L, c = k % L;
    return std::pair<double, double>{double(c) * std::sqrt(3.0) / 2,
                                     double(r) + 0.5 * double(c & 1)};
  };
  const auto a = pos(i), b = pos(j);
  double best = 1e300;
  for (int dx = -1; dx <= 1; ++dx)
    for (int dy = -1; dy <= 1; ++dy)
      best = std::min(best,
                      std::hypot(b.first + dx * w - a.first, b.second + dy * double(L) - a.second));
  return best;
}

struct Measured {
  Estimate energy, abs_magnetisation, magnetisation;
};

Measured summarise(const std::vector<double>& e, const std::vector<double>& am,
                   const std::vector<double>& m) {
  return {binned_mean(e), binned_mean(am), binned_mean(m)};
}

// kind 0: multispin Metropolis, 1: multispin Metropolis + Wolff, 2: reference Metropolis,
// 3: reference Wolff clusters only. Multispin replicas start random, or ordered if `ordered`
// (large lattices below T_c would otherwise keep domain walls for long).
Measured run(int kind, int64_t L, double T, double h, int64_t steps, uint64_t seed,
             bool ordered = false) {
  std::vector<double> e, am, m;
  if (kind <= 1) {
    TriangularMultiSpin lat(L, Rng(seed));
    lat.set_parameters(T, h);
    if (!ordered) lat.fill_random();
    double ev[64], mv[64];
    for (int64_t s = 0; s < steps + 300; ++s) {
      if (kind == 1) {
        lat.mixed_sweep(1);
      } else {
        lat.metropolis_sweep();
      }
      if (s < 300) continue;
      lat.measure(ev, mv);
      double a = 0, b = 0, c = 0;
      for (int r = 0; r < 64; ++r) {
        a += ev[r] / 64;
        b += std::fabs(mv[r]) / 64;
        c += mv[r] / 64;
      }
      e.push_back(a);
      am.push_back(b);
      m.push_back(c);
    }
  } else {
    Rng rng(seed);
    Lattice lat = Lattice::random(L, rng);
    for (int64_t s = 0; s < steps + 1000; ++s) {
      if (kind == 2) {
        triangular_metropolis_sweep_reference(lat, T, h, rng);
      } else {
        triangular_wolff_update(lat, T, rng);
      }
      if (s < 1000) continue;
      const double mg = magnetisation_per_spin(lat);
      e.push_back(triangular_energy_per_spin(lat, h));
      am.push_back(std::fabs(mg));
      m.push_back(mg);
    }
  }
  return summarise(e, am, m);
}

const char* kEngine[] = {"multispin Metropolis", "multispin mixed", "reference Metropolis",
                         "reference Wolff"};

}  // namespace

TEST(TriangularLattice, NeighboursAreTheSitesAtCartesianDistanceOne) {
  for (int64_t L : {4, 6, 8}) {
    for (int64_t i = 0; i < L * L; ++i) {
      int64_t nb[6];
      triangular_neighbours(L, i, nb);
      const std::set<int64_t> got(nb, nb + 6);
      std::set<int64_t> want;
      for (int64_t j = 0; j < L * L; ++j)
        if (j != i && std::fabs(distance_on_torus(L, i, j) - 1.0) < 1e-9) want.insert(j);
      EXPECT_EQ(got.size(), 6u) << "L=" << L << " site " << i;
      EXPECT_EQ(got, want) << "L=" << L << " site " << i;
    }
  }
  EXPECT_THROW(check_triangular_size("t", 2), UsageError);
  EXPECT_THROW(check_triangular_size("t", 5), UsageError);
  EXPECT_THROW(TriangularMultiSpin(6, Rng(1)).wolff_update(64), UsageError);
}

TEST(TriangularLattice, LatticeTypeNames) {
  EXPECT_EQ(parse_lattice_type("triangular", "--lattice"), LatticeType::triangular);
  EXPECT_EQ(parse_lattice_type("square", "--lattice"), LatticeType::square);
  EXPECT_THROW(parse_lattice_type("hexagonal", "--lattice"), UsageError);
  EXPECT_NEAR(exact_critical_temperature(LatticeType::triangular), 3.640957, 1e-6);
  EXPECT_EQ(coordination_number(LatticeType::triangular), 6);
}

// Values from an independent enumeration (neighbours chosen by Cartesian distance, numpy).
TEST(TriangularExact, EnumerationMatchesQuotedValues) {
  const EnumerationResult t2 = enumerate_triangular(4, 2.0), t6 = enumerate_triangular(4, 6.0);
  const EnumerationResult tc = enumerate_triangular(4, kTriangularCriticalTemperature);
  EXPECT_NEAR(t2.energy, -2.96744826, 1e-8);
  EXPECT_NEAR(t2.abs_magnetisation, 0.99442403, 1e-8);
  EXPECT_NEAR(tc.energy, -2.24867910, 1e-8);
  EXPECT_NEAR(tc.abs_magnetisation, 0.83309994, 1e-8);
  EXPECT_NEAR(t6.energy, -0.88253698, 1e-8);
  EXPECT_NEAR(t6.abs_magnetisation, 0.44276194, 1e-8);
  EXPECT_THROW(enumerate_triangular(6, 2.0), UsageError);
}

TEST(TriangularExact, EnginesAgreeWithEnumeration) {
  uint64_t seed = 300;
  for (double T : {2.0, kTriangularCriticalTemperature, 6.0}) {
    const EnumerationResult ex = enumerate_triangular(4, T);
    for (int kind = 0; kind < 4; ++kind) {
      const Measured mc = run(kind, 4, T, 0.0, kind <= 1 ? 8000 : 60000, ++seed);
      SCOPED_TRACE(::testing::Message() << kEngine[kind] << " at T=" << T);
      // 4 sigma over 24 comparisons: a chance failure ~0.2 %.
      EXPECT_NEAR(mc.energy.mean, ex.energy, 4 * mc.energy.error) << mc.energy.error;
      EXPECT_NEAR(mc.abs_magnetisation.mean, ex.abs_magnetisation, 4 * mc.abs_magnetisation.error)
          << mc.abs_magnetisation.error;
      EXPECT_LT(mc.energy.error, 0.01);
    }
  }
}

// The field path (14 acceptance classes) at h = 0.3.
TEST(TriangularExact, FieldAgreesWithEnumeration) {
  for (double T : {3.5, 5.0}) {
    const EnumerationResult ex = enumerate_triangular(4, T, 0.3);
    for (int kind : {0, 2}) {
      const Measured mc = run(kind, 4, T, 0.3, kind == 0 ? 8000 : 60000, 17 + uint64_t(kind));
      SCOPED_TRACE(::testing::Message() << kEngine[kind] << " T=" << T);
      EXPECT_NEAR(mc.energy.mean, ex.energy, 4 * mc.energy.error);
      EXPECT_NEAR(mc.magnetisation.mean, ex.magnetisation, 4 * mc.magnetisation.error);
      EXPECT_GT(ex.magnetisation, 0.1);  // the field really polarises
    }
  }
}

// The closed forms against their low- and high-temperature expansions: one flipped spin breaks
// 6 bonds, two neighbours 10 (u = -3 + 12 e^-12/T + 60 e^-20/T + O(e^-24/T), m = 1 -
// 2 e^-12/T + O(e^-20/T)); ln Z / N = ln 2 +
// 3 ln cosh K + 2 t^3 + 3 t^4 + O(t^5) (triangles, rhombi), t = tanh K.
TEST(TriangularExact, ClosedFormsMatchExpansions) {
  EXPECT_NEAR(triangular_energy_exact(1.0), -3.0 + 12.0 * std::exp(-12.0) + 60 * std::exp(-20.0),
              5e-9);
  EXPECT_NEAR(triangular_magnetisation_exact(1.0), 1.0 - 2.0 * std::exp(-12.0), 1e-7);
  const double K = 0.01, t = std::tanh(K);
  const double u_high = -(3 * t + (6 * t * t + 12 * t * t * t) * (1 - t * t));
  EXPECT_NEAR(triangular_energy_exact(1.0 / K), u_high, 2e-6);
  EXPECT_EQ(triangular_magnetisation_exact(3.7), 0.0);
  EXPECT_GT(triangular_magnetisation_exact(3.6), 0.0);
  EXPECT_THROW(triangular_energy_exact(kTriangularCriticalTemperature), UsageError);
}

// L = 48, far from T_c (finite-size corrections exponentially small): Houtappel's energy and
// Potts' magnetisation to statistical error (plus 2e-4, as the square lattice's test).
TEST(TriangularLarge, EnergyAndMagnetisationMatchTheInfiniteLattice) {
  for (double T : {2.5, 3.0, 4.5, 6.0}) {
    const Measured mc = run(0, 48, T, 0.0, 1200, uint64_t(T * 10), true);
    SCOPED_TRACE(::testing::Message()
                 << "T=" << T << " u=" << mc.energy.mean << "+-" << mc.energy.error);
    EXPECT_NEAR(mc.energy.mean, triangular_energy_exact(T), 3 * mc.energy.error + 2e-4);
    if (T < kTriangularCriticalTemperature) {
      EXPECT_NEAR(mc.abs_magnetisation.mean, triangular_magnetisation_exact(T),
                  3 * mc.abs_magnetisation.error + 2e-4);
    }
  }
}

TEST(TriangularGenerator, LabelsFollowTheGivenTemperatureAndObservablesAgree) {
  GeneratorOptions o;
  o.temperatures = {2.0, 3.3, 5.0};
  o.lattice_size = 8;
  o.configs_per_temperature = 8;
  o.lattice = LatticeType::triangular;
  o.critical_temperature = 3.5;  // an estimate, not the exact 3.64
  o.min_measurement_sweeps = 64;
  const IsingDataset d = generate(o);
  ASSERT_EQ(d.count(), 24);
  for (int64_t k = 0; k < d.count(); ++k) {
    EXPECT_EQ(d.label[size_t(k)], d.temperature[size_t(k)] < 3.5 ? 1 : 0);
    Lattice lat{8, std::vector<int8_t>(d.spins.begin() + k * 64, d.spins.begin() + (k + 1) * 64)};
    EXPECT_DOUBLE_EQ(d.energy[size_t(k)], triangular_energy_per_spin(lat));
    EXPECT_DOUBLE_EQ(d.magnetisation[size_t(k)], magnetisation_per_spin(lat));
  }
  EXPECT_LT(d.summary[0].energy.mean, -2.8);  // T = 2: nearly the ground state -3
  o.lattice_size = 2;
  EXPECT_THROW(generate(o), UsageError);
  o.lattice_size = 8;
  o.critical_temperature = -1;
  EXPECT_THROW(generate(o), UsageError);
}

// The generator: layout, labels, bookkeeping consistency, tau-driven spacing, and reproducibility
// from the seed whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "physics/ising/analysis.hpp"
#include "physics/ising/generator.hpp"
#include "physics/ising/lattice.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {
GeneratorOptions small_options() {
  return {.temperatures = {1.6, 2.2, 2.4, 3.2},
          .lattice_size = 8,
          .configs_per_temperature = 70,  // more than 64: two saves per replica
          .seed = 17};
}
}  // namespace

TEST(IsingGenerator, LayoutLabelsAndConsistentObservables) {
  const GeneratorOptions o = small_options();
  const IsingDataset d = generate(o);
  ASSERT_EQ(d.count(), 4 * 70);
  ASSERT_EQ(d.spins.size(), size_t(4 * 70 * 64));
  ASSERT_EQ(d.summary.size(), size_t(4));
  for (int64_t i = 0; i < d.count(); ++i) {
    const double T = o.temperatures[size_t(i / 70)];
    ASSERT_EQ(d.temperature[size_t(i)], T);
    ASSERT_EQ(d.label[size_t(i)], T < kCriticalTemperature ? 1 : 0);
    // The stored energy and magnetisation are those of the stored configuration.
    Lattice lat{8, std::vector<int8_t>(d.spins.begin() + i * 64, d.spins.begin() + (i + 1) * 64)};
    for (int8_t s : lat.spins) ASSERT_TRUE(s == 1 || s == -1);
    ASSERT_DOUBLE_EQ(d.energy[size_t(i)], energy_per_spin(lat));
    ASSERT_DOUBLE_EQ(d.magnetisation[size_t(i)], magnetisation_per_spin(lat));
  }
  for (const TemperatureSummary& s : d.summary) {
    SCOPED_TRACE(::testing::Message() << "T=" << s.temperature << " tau_E=" << s.tau_energy.tau
                                      << " tau_|m|=" << s.tau_abs_magnetisation.tau);
    const double tau = std::max(s.tau_energy.tau, s.tau_abs_magnetisation.tau);
    EXPECT_GE(tau, 0.5);
    EXPECT_EQ(s.spacing_sweeps, std::max<int64_t>(1, int64_t(std::ceil(2.0 * tau))));
    EXPECT_GE(s.equilibration_sweeps, int64_t(std::ceil(20.0 * tau)));
    EXPECT_GT(s.energy.error, 0.0);
    EXPECT_GT(s.specific_heat.mean, 0.0);
    EXPECT_LE(s.abs_magnetisation.mean, 1.0);
  }
  // Physics sanity: ordered far below T_c, disordered far above, energy increasing with T.
  EXPECT_GT(d.summary[0].abs_magnetisation.mean, 0.9);
  EXPECT_LT(d.summary[3].abs_magnetisation.mean, 0.5);
  for (size_t i = 1; i < 4; ++i) EXPECT_GT(d.summary[i].energy.mean, d.summary[i - 1].energy.mean);
  // Both signs of the magnetisation appear below T_c (replicas start with a random sign).
  double pos = 0, neg = 0;
  for (int i = 0; i < 70; ++i) (d.magnetisation[size_t(i)] > 0 ? pos : neg) += 1;
  EXPECT_GT(pos, 5);
  EXPECT_GT(neg, 5);

  const Tensor t = to_tensor(d);
  EXPECT_EQ(t.shape(), Shape({280, 1, 8, 8}));
  EXPECT_EQ(t.at({3, 0, 2, 5}), double(d.spins[3 * 64 + 2 * 8 + 5]));
}

TEST(IsingGenerator, SameSeedSameDataWithOneAndTwoThreads) {
  const int before = num_threads();
  const GeneratorOptions o = small_options();
  set_num_threads(1);
  const IsingDataset a = generate(o);
  set_num_threads(2);
  const IsingDataset b = generate(o);
  set_num_threads(before);
  EXPECT_EQ(a.spins, b.spins);
  EXPECT_EQ(a.energy, b.energy);
  for (size_t i = 0; i < a.summary.size(); ++i) {
    EXPECT_EQ(a.summary[i].energy.mean, b.summary[i].energy.mean);
    EXPECT_EQ(a.summary[i].spacing_sweeps, b.summary[i].spacing_sweeps);
  }
  GeneratorOptions other = o;
  other.seed = 18;
  EXPECT_NE(generate(other).spins, a.spins);
}

TEST(IsingGenerator, TemperatureGrid) {
  const auto t = make_temperatures(
      {.start = 1.0, .stop = 3.0, .count = 5, .extra_near_tc = 3, .extra_width = 0.1});
  ASSERT_EQ(t.size(), size_t(8));
  EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
  EXPECT_NEAR(t[3], kCriticalTemperature - 0.1, 1e-12);
  EXPECT_NEAR(t[4], kCriticalTemperature, 1e-12);
  EXPECT_THROW(make_temperatures({.start = -1.0, .stop = 3.0, .count = 3}), UsageError);
}

TEST(IsingGenerator, BadOptionsThrow) {
  GeneratorOptions o = small_options();
  o.lattice_size = 9;
  EXPECT_THROW(generate(o), UsageError);
  o = small_options();
  o.temperatures = {};
  EXPECT_THROW(generate(o), UsageError);
  o = small_options();
  o.temperatures = {2.0, 0.0};
  EXPECT_THROW(generate(o), UsageError);
  o = small_options();
  o.configs_per_temperature = 0;
  EXPECT_THROW(generate(o), UsageError);
}

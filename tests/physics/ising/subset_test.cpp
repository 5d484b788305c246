// generate_subset: any split of the temperatures, put back in index order, is generate()'s data
// byte for byte (what lets MPI ranks share the Monte Carlo).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "physics/ising/generator.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

TEST(IsingGeneratorSubset, SplitsReassembleToTheWholeDataset) {
  const GeneratorOptions o{.temperatures = {1.6, 2.25, 2.5, 3.1, 3.4},
                           .lattice_size = 8,
                           .configs_per_temperature = 70,
                           .seed = 23};
  const IsingDataset whole = generate(o);
  const IsingDataset odd = generate_subset(o, {3, 1});  // any order
  const IsingDataset even = generate_subset(o, {0, 2, 4});
  ASSERT_EQ(odd.count(), 2 * 70);
  ASSERT_EQ(odd.summary.size(), 2u);
  const size_t cfg = 64, n = 70;
  const auto check = [&](const IsingDataset& part, size_t slot, size_t index) {
    for (size_t k = 0; k < n; ++k) {
      const size_t a = slot * n + k, b = index * n + k;
      ASSERT_EQ(part.temperature[a], whole.temperature[b]);
      ASSERT_EQ(part.label[a], whole.label[b]);
      ASSERT_EQ(part.energy[a], whole.energy[b]);
      ASSERT_EQ(part.magnetisation[a], whole.magnetisation[b]);
      for (size_t s = 0; s < cfg; ++s) ASSERT_EQ(part.spins[a * cfg + s], whole.spins[b * cfg + s]);
    }
    EXPECT_EQ(part.summary[slot].energy.mean, whole.summary[index].energy.mean);
    EXPECT_EQ(part.summary[slot].spacing_sweeps, whole.summary[index].spacing_sweeps);
  };
  check(odd, 0, 3);
  check(odd, 1, 1);
  for (size_t j = 0; j < 3; ++j) check(even, j, 2 * j);
  EXPECT_EQ(generate_subset(o, {}).count(), 0);
  EXPECT_THROW(generate_subset(o, {5}), UsageError);
}

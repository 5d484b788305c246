// The plan that shares the Ising Monte Carlo over MPI ranks, and the whole path on one rank.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "physics/ising/lattice.hpp"
#include "physics/ising_study/distributed.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {
std::vector<GeneratorOptions> study_like() {
  std::vector<GeneratorOptions> out;
  for (int64_t L : {16, 32, 64})
    out.push_back(
        {.temperatures = make_temperatures(
             {.start = 1.0, .stop = 3.5, .count = 26, .extra_near_tc = 12, .extra_width = 0.3}),
         .lattice_size = L,
         .configs_per_temperature = 240});
  return out;
}
}  // namespace

TEST(IsingOnRanks, CostGrowsWithTheLatticeAndNearTc) {
  const auto o = study_like();
  const auto& t = o[0].temperatures;
  const size_t near = size_t(std::min_element(t.begin(), t.end(),
                                              [](double a, double b) {
                                                return std::abs(a - kCriticalTemperature) <
                                                       std::abs(b - kCriticalTemperature);
                                              }) -
                             t.begin());
  EXPECT_GT(estimated_cost(o[0], near), 2 * estimated_cost(o[0], 0));
  EXPECT_DOUBLE_EQ(estimated_cost(o[2], 0), 16 * estimated_cost(o[0], 0));
}

TEST(IsingOnRanks, PlanGivesEveryTaskOneRankAndBalancesTheCost) {
  const auto o = study_like();
  for (int ranks : {1, 2, 3, 8, 64, 200}) {
    const auto plan = plan_tasks(o, ranks);
    ASSERT_EQ(plan.size(), o.size());
    std::vector<double> load(size_t(ranks), 0.0);
    double total = 0, largest = 0;
    for (size_t k = 0; k < o.size(); ++k) {
      ASSERT_EQ(plan[k].size(), o[k].temperatures.size());
      for (size_t i = 0; i < plan[k].size(); ++i) {
        ASSERT_GE(plan[k][i], 0);
        ASSERT_LT(plan[k][i], ranks);
        const double c = estimated_cost(o[k], i);
        load[size_t(plan[k][i])] += c;
        total += c;
        largest = std::max(largest, c);
      }
    }
    // Greedy longest-first: no rank exceeds the mean by more than one task.
    const double most = *std::max_element(load.begin(), load.end());
    EXPECT_LE(most, total / ranks + largest + 1e-9) << ranks << " ranks";
    EXPECT_EQ(plan, plan_tasks(o, ranks));  // every rank computes the same plan
  }
}

TEST(IsingOnRanks, OnOneRankItIsGenerate) {
  const std::vector<GeneratorOptions> o{
      {.temperatures = {1.8, 2.4}, .lattice_size = 4, .configs_per_temperature = 8, .seed = 5},
      {.temperatures = {1.8, 2.4}, .lattice_size = 8, .configs_per_temperature = 8, .seed = 6}};
  double seconds = -1;
  const auto d = generate_on_ranks(o, dist::Comm::world(), &seconds);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_GE(seconds, 0.0);
  for (size_t k = 0; k < 2; ++k) {
    const IsingDataset g = generate(o[k]);
    EXPECT_EQ(d[k].spins, g.spins);
    EXPECT_EQ(d[k].energy, g.energy);
    EXPECT_EQ(d[k].temperature, g.temperature);
  }
  double s = 0;
  if (!dist::Comm::world().distributed()) {
    EXPECT_TRUE(generate_for_study(o, s).empty());
  }
}

// The bootstrap error model on synthetic ensembles with a known T_c: networks whose crossings
// scatter around T_c + a/L, configurations with binomial-like noise. The stated errors must
// cover the truth about as often as a normal error says, and nu must come out of the collapse.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "physics/ising_study/error_model.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {

constexpr double kTc = 2.269185;

// K networks per size; network k's curve is (1 - tanh((T - T_k) L / 1.6)) / 2 with
// T_k = T_c - 0.5/L + spread * N(0,1); each configuration's output adds N(0, 0.15) noise.
std::vector<SizePredictions> synthetic(uint64_t seed, int K, double spread) {
  Rng rng(seed);
  std::vector<SizePredictions> out;
  for (int64_t L : {16, 32, 64}) {
    SizePredictions s;
    s.size = L;
    std::vector<double> tk;
    for (int k = 0; k < K; ++k) tk.push_back(kTc - 0.5 / double(L) + spread * rng.normal());
    s.member_p.resize(size_t(K));
    for (int i = 0; i <= 40; ++i) {
      const double T = 1.9 + 0.02 * i;
      for (int c = 0; c < 60; ++c) {
        s.temperature.push_back(T);
        for (int k = 0; k < K; ++k) {
          const double p = 0.5 * (1 - std::tanh((T - tk[size_t(k)]) * double(L) / 1.6));
          s.member_p[size_t(k)].push_back(std::clamp(p + 0.15 * rng.normal(), 0.0, 1.0));
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST(IsingErrorModel, RecoversTcAndNuAndCoversTheTruth) {
  int within2 = 0, runs = 16;
  double sum_nu = 0;
  for (int r = 0; r < runs; ++r) {
    const FiniteSizeResult f = analyse_finite_size(synthetic(100 + uint64_t(r), 4, 0.003),
                                                   {.replicates = 60, .seed = uint64_t(r)});
    ASSERT_EQ(f.crossing.size(), 3u);
    EXPECT_EQ(f.fit_sizes, (std::vector<int64_t>{32, 64}));  // min_fit_size = 32
    ASSERT_EQ(f.nu_pairs.size(), 2u);
    EXPECT_GE(f.nu_error, f.nu_statistical);
    EXPECT_GT(f.tc_error, 0.0);
    EXPECT_LT(f.tc_error, 0.03);
    // The networks' spread enters: each crossing's error is at least most of spread / sqrt(K).
    for (double e : f.crossing_error) EXPECT_GT(e, 0.5 * 0.003 / 2.0);
    within2 += std::fabs(f.tc - kTc) <= 2 * f.tc_error;
    sum_nu += f.nu;
    EXPECT_GT(f.nu_error, 0.0);
  }
  EXPECT_GE(within2, 12);  // ~95 % expected; 12 of 16 fails only for a badly low error
  EXPECT_NEAR(sum_nu / runs, 1.0, 0.1);
}

TEST(IsingErrorModel, NetworkSpreadWidensTheError) {
  const FiniteSizeResult tight = analyse_finite_size(synthetic(7, 4, 0.0), {.replicates = 60});
  const FiniteSizeResult loose = analyse_finite_size(synthetic(7, 4, 0.01), {.replicates = 60});
  EXPECT_GT(loose.crossing_error.back(), 2 * tight.crossing_error.back());
  EXPECT_THROW(analyse_finite_size({synthetic(7, 2, 0.0).front()}), UsageError);
}

TEST(IsingErrorModel, SmallestSizeLeftOutOfTheExtrapolation) {
  // L = 16's crossings moved far off the a/L line: the default fit (L >= 32) does not see it,
  // the fit over every size does; both still report T*(16).
  auto sizes = synthetic(11, 4, 0.001);
  for (auto& p : sizes.front().member_p)
    for (size_t i = 0; i < p.size(); ++i)  // shift the L = 16 curves by -0.05 in T
      p[i] =
          0.5 *
          (1 - std::tanh((sizes.front().temperature[i] + 0.05 - (kTc - 0.5 / 16.0)) * 16.0 / 1.6));
  const FiniteSizeResult large = analyse_finite_size(sizes, {.replicates = 40});
  const FiniteSizeResult all = analyse_finite_size(sizes, {.replicates = 40, .min_fit_size = 0});
  EXPECT_EQ(all.fit_sizes, (std::vector<int64_t>{16, 32, 64}));
  EXPECT_NEAR(large.tc, kTc, 0.004);
  EXPECT_GT(std::fabs(all.tc - kTc), 0.01);
  EXPECT_NEAR(large.crossing.front(), kTc - 0.5 / 16.0 - 0.05, 0.005);
}

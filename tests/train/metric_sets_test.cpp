// The airshower metric set against hand-computed resolutions, its quantile, its batch
// independence through the Tally, and its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "support/throws.hpp"
#include "train/evaluation.hpp"
#include "train/losses.hpp"
#include "train/metric_sets.hpp"

using namespace physcnn;
using namespace physcnn::train;

namespace {

// Four showers, all true: lg(E/10 EeV) = 0, vertical, core at the origin. The predictions are
// off by dE/E = +0.1, -0.1, 0, 0; by 1, 2, 3, 4 degrees (unnormalised vectors, azimuths
// varied); by 10, 20, 30, 40 m.
void four_showers(std::vector<double>& out, std::vector<double>& target) {
  const double de[4] = {0.1, -0.1, 0, 0};
  for (int i = 0; i < 4; ++i) {
    const double a = (i + 1) * std::numbers::pi / 180, phi = i * 1.3, scale = 0.5 + i;
    const double core = 0.01 * (i + 1);  // km
    const double row[6] = {std::log10(1 + de[i]),
                           scale * std::sin(a) * std::cos(phi),
                           scale * std::sin(a) * std::sin(phi),
                           scale * std::cos(a),
                           core * std::cos(2 * phi),
                           core * std::sin(2 * phi)};
    const double truth[6] = {0, 0, 0, 1, 0, 0};
    out.insert(out.end(), row, row + 6);
    target.insert(target.end(), truth, truth + 6);
  }
}

}  // namespace

TEST(MetricSets, QuantileInterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 0.5), 2.0);
  EXPECT_NEAR(quantile({4, 1, 3, 2}, 0.68), 3.04, 1e-12);  // position 0.68 * 3 = 2.04
  EXPECT_DOUBLE_EQ(quantile({5}, 0.68), 5.0);
  EXPECT_TRUE(std::isnan(quantile({}, 0.68)));
}

TEST(MetricSets, AirshowerResolutionsAgainstHandValues) {
  std::vector<double> out, target;
  four_showers(out, target);
  const auto v = metric_set("airshower").compute(out, target, 4);
  EXPECT_NEAR(v.at("energy_bias"), 0.0, 1e-12);
  EXPECT_NEAR(v.at("energy_resolution"), std::sqrt(0.02 / 3), 1e-12);  // sample std
  EXPECT_NEAR(v.at("angular_resolution_deg"), 3.04, 1e-9);
  EXPECT_NEAR(v.at("core_resolution_m"), 30.4, 1e-9);
  // A zero direction counts as pointing away.
  out[1] = out[2] = out[3] = 0;
  EXPECT_NEAR(metric_set("airshower").compute(out, target, 4).at("angular_resolution_deg"),
              4 + 0.04 * 176, 1e-9);
}

TEST(MetricSets, TallyGivesTheSameResolutionsForAnyBatching) {
  std::vector<double> out, target;
  four_showers(out, target);
  const Tensor o = Tensor::from_vector(out, Shape{4, 6}),
               t = Tensor::from_vector(target, Shape{4, 6});
  Tally whole{.loss = LossKind::Mse, .top_k = 1, .metric_set = "airshower"};
  whole.add(o, t, 0.5);
  Tally parts{.loss = LossKind::Mse, .top_k = 1, .metric_set = "airshower"};
  parts.add(o.slice(0, 0, 1), t.slice(0, 0, 1), 0.5);
  parts.add(o.slice(0, 1, 4), t.slice(0, 1, 4), 0.5);
  const auto a = whole.result().values(), b = parts.result().values();
  for (const auto& name : metric_set("airshower").names) {
    ASSERT_TRUE(a.count(name)) << name;
    EXPECT_NEAR(a.at(name), b.at(name), 1e-12) << name;
  }
  EXPECT_NEAR(a.at("angular_resolution_deg"), 3.04, 1e-6);
  EXPECT_TRUE(a.count("mse"));  // the regression metrics stay
  const auto names = metric_names(LossKind::Mse, 1, "airshower");
  EXPECT_EQ(names.back(), "core_resolution_m");
  EXPECT_EQ(names.front(), "mse");
}

TEST(MetricSets, ErrorsNameTheSetAndTheShapes) {
  test::expect_error<UsageError>([] { metric_set("airshowr"); }, {"airshowr", "airshower"});
  test::expect_error<ShapeError>([] { check_metric_set("airshower", Shape{5}, true); },
                                 {"airshower", "6", "[5]"});
  test::expect_error<UsageError>([] { check_metric_set("airshower", Shape{6}, false); }, {"mse"});
}

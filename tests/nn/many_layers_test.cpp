// Deep models stay linear to build: names are checked for duplicates through an index, not by
// scanning every earlier child (100,000 identity layers took 30 s in `summary`; issue 18).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/graph.hpp"

namespace physcnn::nn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(ManyLayers, HundredThousandChildrenBuildInLinearTime) {
  const auto t0 = std::chrono::steady_clock::now();
  Sequential s;
  for (int i = 0; i < 100000; ++i) s.add(std::make_shared<Identity>());
  EXPECT_EQ(s.children().size(), 100000u);
  // 0.1 s here; the quadratic scan took about 30 s in `summary` (a bound 20 times the fixed time).
  EXPECT_LT(seconds_since(t0), 2.0);
  // The index still refuses a second child of the same name, and still finds the first.
  EXPECT_THROW(s.add("7", std::make_shared<Identity>()), UsageError);
}

TEST(ManyLayers, GraphFindsEveryNodeThroughItsIndex) {
  const auto t0 = std::chrono::steady_clock::now();
  Graph g;
  for (int i = 0; i < 50000; ++i) g.add(std::make_shared<Identity>(), "n" + std::to_string(i));
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(g.has_node("n0"));
  EXPECT_TRUE(g.has_node("n49999"));
  EXPECT_FALSE(g.has_node("n50000"));
  EXPECT_THROW(g.add(std::make_shared<Identity>(), "n123"), UsageError);
}

}  // namespace
}  // namespace physcnn::nn

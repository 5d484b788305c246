// Splits: disjoint, covering, deterministic per seed, stratification keeps class ratios,
// separate files, and bad fractions.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "data/split.hpp"
#include "helpers.hpp"

using namespace physcnn;
using namespace physcnn::data;

namespace {
std::vector<int64_t> joined(const SplitIndices& s) {
  std::vector<int64_t> all = s.train;
  all.insert(all.end(), s.validation.begin(), s.validation.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  return all;
}
}  // namespace

TEST(Split, DisjointCoveringDeterministic) {
  const SplitOptions o{.train = 0.7, .validation = 0.2, .test = 0.1, .seed = 5};
  const auto s = split_indices(1003, o);
  EXPECT_EQ(s.validation.size(), 201u);  // round(1003 × 0.2)
  EXPECT_EQ(s.test.size(), 100u);
  EXPECT_EQ(s.train.size(), 702u);  // the rest
  const auto all = joined(s);
  ASSERT_EQ(all.size(), 1003u);
  for (int64_t i = 0; i < 1003; ++i) ASSERT_EQ(all[size_t(i)], i);  // disjoint and covering
  const auto again = split_indices(1003, o);
  EXPECT_EQ(again.train, s.train);
  EXPECT_EQ(again.test, s.test);
  auto o2 = o;
  o2.seed = 6;
  EXPECT_NE(split_indices(1003, o2).train, s.train);
  // Fractions below 1 leave samples out but stay disjoint.
  const auto part = split_indices(1000, {.train = 0.5, .validation = 0.1, .test = 0.1});
  EXPECT_EQ(part.train.size(), 500u);
  const auto some = joined(part);
  EXPECT_EQ(some.size(), 700u);
  EXPECT_EQ(std::adjacent_find(some.begin(), some.end()), some.end());
}

TEST(Split, StratifiedKeepsClassRatios) {
  // Classes of 700, 200 and 100 samples, interleaved.
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 1000; ++i) labels.push_back(i % 10 < 7 ? 0 : (i % 10 < 9 ? 1 : 2));
  const SplitOptions o{.train = 0.8, .validation = 0.1, .test = 0.1, .seed = 1, .stratify = true};
  const auto s = split_indices(1000, o, labels);
  const auto all = joined(s);
  ASSERT_EQ(all.size(), 1000u);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(all[size_t(i)], i);
  auto count = [&](const std::vector<int64_t>& part) {
    std::map<int64_t, int64_t> c;
    for (int64_t i : part) ++c[labels[size_t(i)]];
    return c;
  };
  const auto v = count(s.validation), t = count(s.test), tr = count(s.train);
  EXPECT_EQ(v.at(0), 70);
  EXPECT_EQ(v.at(1), 20);
  EXPECT_EQ(v.at(2), 10);
  EXPECT_EQ(t.at(0), 70);
  EXPECT_EQ(tr.at(2), 80);
  // The classes are mixed inside a split, not grouped.
  int64_t changes = 0;
  for (size_t i = 1; i < s.train.size(); ++i)
    changes += labels[size_t(s.train[i])] != labels[size_t(s.train[i - 1])];
  EXPECT_GT(changes, 100);  // grouped by class would give 2
}

TEST(Split, DatasetSplitsAndSeparateFiles) {
  const auto ds = std::make_shared<physcnn::test::ProbeDataset>(60, 3);
  const auto s = split_dataset(
      ds, {.train = 0.5, .validation = 0.25, .test = 0.25, .seed = 2, .stratify = true});
  EXPECT_EQ(s.train->size(), 30);
  EXPECT_EQ(s.validation->size(), 15);
  EXPECT_EQ(s.test->size(), 15);
  // A subset's sample is the base sample it names.
  const int64_t base = s.test->indices()[3];
  EXPECT_EQ(s.test->get(3).input.at({0, 0, 0}), double(base));
  EXPECT_EQ(s.test->labels()[3], base % 3);

  const auto test_file = std::make_shared<physcnn::test::ProbeDataset>(20, 3);
  const auto f = split_from_files(ds, test_file, 0.2, 7, true);
  EXPECT_EQ(f.train->size(), 48);
  EXPECT_EQ(f.validation->size(), 12);
  EXPECT_EQ(f.test->size(), 20);
  EXPECT_EQ(f.test->base().get(), test_file.get());
}

TEST(Split, BadOptions) {
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [] { split_indices(10, {.train = 0.8, .validation = 0.3, .test = 0.1}); },
      {"split", "0.8", "0.3", "sum"}));
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [] {
        split_indices(10, {.stratify = true}, {0, 1});
      },
      {"stratify", "10", "2"}));
  Rng rng(1);
  const auto reg = std::make_shared<TensorDataset>(Tensor::uniform(Shape{4, 1, 2, 2}, 0, 1, rng),
                                                   Tensor::uniform(Shape{4}, 0, 1, rng));
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [&] { split_dataset(reg, {.stratify = true}); }, {"stratify", "regression"}));
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [&] {
        Subset(reg, {0, 4});
      },
      {"Subset", "index 4", "[0, 4)"}));
}

// ROC, AUC and background rejection against hand-computed cases and a numpy fixture
// (tools/ref/roc_ref.py: AUC by counting pairs), and the evaluation of binary classifiers.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "support/fixture.hpp"
#include "train/evaluation.hpp"
#include "train/roc.hpp"
#include "train/run_dir.hpp"

using namespace physcnn;
using namespace physcnn::train;

TEST(Roc, HandComputedCurve) {
  // Signal 0.9 0.6 0.5 0.2, background 0.7 0.4 0.3 0.1. Pairs won by the signal: 4 + 3 + 3 + 1
  // of 16, AUC 11/16. From the top: (0, .25) (.25, .25) (.25, .5): 50 % signal efficiency is
  // first reached at 25 % background efficiency, a rejection of 4.
  const Roc r = roc_curve({0.9, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1}, {1, 0, 1, 1, 0, 0, 1, 0});
  EXPECT_DOUBLE_EQ(r.auc, 11.0 / 16);
  EXPECT_DOUBLE_EQ(r.rejection_at_50, 4.0);
  EXPECT_EQ(r.signal_efficiency, (std::vector<double>{0, .25, .25, .5, .75, .75, .75, 1, 1}));
  EXPECT_EQ(r.background_efficiency, (std::vector<double>{0, 0, .25, .25, .25, .5, .75, .75, 1}));
  EXPECT_DOUBLE_EQ(background_efficiency_at(r, 0.75), 0.25);
  EXPECT_EQ(r.signal, 4);
  EXPECT_EQ(r.background, 4);
}

TEST(Roc, TiesCountHalfAndInterpolate) {
  // Signal {0.5, 0.9}, background {0.5, 0.2}: pairs 1 + 1 + 1/2 (the tie) + 1 = 3.5 of 4.
  const Roc r = roc_curve({0.5, 0.5, 0.2, 0.9}, {1, 0, 0, 1});
  EXPECT_DOUBLE_EQ(r.auc, 0.875);
  // The tie is one diagonal step (0, .5) -> (.5, 1): eps_S = 0.5 is reached at (0, .5).
  EXPECT_DOUBLE_EQ(background_efficiency_at(r, 0.5), 0.0);
  EXPECT_TRUE(std::isinf(r.rejection_at_50));
  EXPECT_DOUBLE_EQ(background_efficiency_at(r, 0.75), 0.25);
  // All scores equal: the diagonal, AUC 1/2.
  EXPECT_DOUBLE_EQ(roc_curve({1, 1, 1, 1}, {1, 0, 1, 0}).auc, 0.5);
  // A perfect and an inverted classifier.
  EXPECT_DOUBLE_EQ(roc_curve({3, 2, 1, 0}, {1, 1, 0, 0}).auc, 1.0);
  EXPECT_DOUBLE_EQ(roc_curve({3, 2, 1, 0}, {0, 0, 1, 1}).auc, 0.0);
  EXPECT_DOUBLE_EQ(roc_curve({3, 2, 1, 0}, {0, 0, 1, 1}).rejection_at_50, 1.0);
}

TEST(Roc, AgreesWithThePairCountingFixture) {
  const auto f = test::load_fixture("roc");
  const std::vector<double> scores = f["scores"].to_vector(), l = f["labels"].to_vector();
  std::vector<int64_t> labels;
  for (double v : l) labels.push_back(int64_t(v));
  const Roc r = roc_curve(scores, labels);
  EXPECT_NEAR(r.auc, f["auc"].to_vector()[0], 1e-12);
  EXPECT_NEAR(1 / r.rejection_at_50, f["background_efficiency_at_50"].to_vector()[0], 1e-12);
  EXPECT_EQ(double(r.signal_efficiency.size()), f["points"].to_vector()[0]);
  const Roc t = thin(r, 10);
  EXPECT_EQ(t.signal_efficiency.size(), 10u);
  EXPECT_EQ(t.signal_efficiency.back(), 1.0);
  EXPECT_EQ(t.background_efficiency.front(), 0.0);
}

TEST(Roc, RefusesBadInput) {
  EXPECT_THROW(roc_curve({1, 2}, {1}), UsageError);
  EXPECT_THROW(roc_curve({1, 2}, {1, 2}), UsageError);
  EXPECT_THROW(roc_curve({1, 2}, {1, 1}), UsageError);
  EXPECT_THROW(roc_curve({1, NAN}, {1, 0}), UsageError);
}

TEST(Roc, TallyOfBinaryClassifiersAndEvalJson) {
  // Two logits per sample: the score is logit1 - logit0 = 2, -1, 0.5, -3 for labels 1 0 0 1:
  // pairs won 1 (2 > -1) + 1 (2 > 0.5) + 0 + 0 = 2 of 4.
  Tally two{.loss = LossKind::CrossEntropy, .top_k = 1};
  const Tensor logits =
      Tensor::from_vector(std::vector<float>{0, 2, 1, 0, 0, 0.5, 3, 0}, Shape{4, 2});
  two.add(logits, Tensor::from_vector(std::vector<float>{1, 0, 0, 1}, Shape{4}), 0.7);
  const Evaluation e = two.result();
  ASSERT_TRUE(e.roc.has_value());
  EXPECT_DOUBLE_EQ(e.roc->auc, 0.5);
  const auto j = nlohmann::json::parse(eval_json(e, LossKind::CrossEntropy, {}, "test"));
  EXPECT_DOUBLE_EQ(j.at("auc").get<double>(), 0.5);
  EXPECT_EQ(j.at("roc").at("signal_efficiency").size(), e.roc->signal_efficiency.size());
  // One BCE logit per sample, over two batches.
  Tally bce{.loss = LossKind::Bce, .top_k = 1};
  bce.add(Tensor::from_vector(std::vector<float>{2, -1}, Shape{2, 1}),
          Tensor::from_vector(std::vector<float>{1, 0}, Shape{2, 1}), 0.3);
  bce.add(Tensor::from_vector(std::vector<float>{0.5, -3}, Shape{2, 1}),
          Tensor::from_vector(std::vector<float>{1, 0}, Shape{2, 1}), 0.3);
  ASSERT_TRUE(bce.result().roc.has_value());
  EXPECT_DOUBLE_EQ(bce.result().roc->auc, 1.0);
  // Three classes: no ROC.
  Tally three{.loss = LossKind::CrossEntropy, .top_k = 1};
  three.add(Tensor::from_vector(std::vector<float>{0, 1, 2, 2, 1, 0}, Shape{2, 3}),
            Tensor::from_vector(std::vector<float>{2, 0}, Shape{2}), 0.1);
  EXPECT_FALSE(three.result().roc.has_value());
  EXPECT_FALSE(nlohmann::json::parse(eval_json(three.result(), LossKind::CrossEntropy, {}, "t"))
                   .contains("auc"));
}

// Metrics against values worked out by hand.
#include <gtest/gtest.h>

#include "support/throws.hpp"
#include "train/metrics.hpp"

namespace physcnn::train {
namespace {

TEST(Metrics, AccuracyTopKAndConfusionByHand) {
  // 4 samples, 3 classes. Argmax: 0, 2, 1, 2; labels 0, 1, 1, 0.
  // Correct: samples 0 and 2 -> accuracy 1/2. Top-2: sample 1 (label 1 scores 0.5, second
  // after 0.9) is in; sample 3 (label 0 scores 0.1, lowest) is out -> 3/4.
  const Tensor logits =
      Tensor::from_vector(std::vector<double>{2.0, 1.0, 0.0, /**/ 0.1, 0.5, 0.9, /**/ 0.0, 3.0, 1.0,
                                              /**/ 0.1, 0.2, 0.3},
                          Shape{4, 3});
  ClassificationMetrics m(3, 2);
  m.add(logits, {0, 1, 1, 0});
  EXPECT_EQ(m.count(), 4);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(m.top_k_accuracy(), 0.75);
  EXPECT_EQ(m.confusion(0, 0), 1);
  EXPECT_EQ(m.confusion(0, 2), 1);
  EXPECT_EQ(m.confusion(1, 2), 1);
  EXPECT_EQ(m.confusion(1, 1), 1);
  EXPECT_EQ(m.confusion(2, 2), 0);
  // Class 0: predicted once (correct) -> precision 1; present twice -> recall 1/2; F1 2/3.
  EXPECT_DOUBLE_EQ(m.precision(0), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(0), 0.5);
  EXPECT_DOUBLE_EQ(m.f1(0), 2.0 / 3.0);
  // Class 2: predicted twice, never right; never present.
  EXPECT_DOUBLE_EQ(m.precision(2), 0.0);
  EXPECT_DOUBLE_EQ(m.recall(2), 0.0);
  // Macro F1 over present classes 0 and 1: (2/3 + 2/3) / 2 (class 1: P 1, R 1/2).
  EXPECT_DOUBLE_EQ(m.macro_f1(), 2.0 / 3.0);
}

TEST(Metrics, BatchingDoesNotChangeTheResult) {
  const Tensor a = Tensor::from_vector(std::vector<double>{1.0, 0.0, 0.0, 1.0}, Shape{2, 2});
  const Tensor b = Tensor::from_vector(std::vector<double>{0.3, 0.2}, Shape{1, 2});
  ClassificationMetrics split(2, 1), whole(2, 1);
  split.add(a, {0, 0});
  split.add(b, {1});
  whole.add_predictions({0, 1, 0}, {0, 0, 1});
  EXPECT_EQ(split.confusion_matrix(), whole.confusion_matrix());
  EXPECT_DOUBLE_EQ(split.accuracy(), 1.0 / 3.0);
}

TEST(Metrics, PerPixelLogits) {
  // (N=1, C=2, H=1, W=3): pixel predictions 0, 1, 1; labels 0, 0, 1 -> 2/3.
  const Tensor logits =
      Tensor::from_vector(std::vector<double>{5, 0, 0, /**/ 0, 1, 2}, Shape{1, 2, 1, 3});
  ClassificationMetrics m(2, 1);
  m.add(logits, {0, 0, 1});
  EXPECT_EQ(m.count(), 3);
  EXPECT_DOUBLE_EQ(m.accuracy(), 2.0 / 3.0);
  EXPECT_EQ(m.confusion(0, 1), 1);
}

TEST(Metrics, RegressionByHand) {
  // Targets 1, 2, 3, 4 (mean 2.5, SS_tot 5); predictions 1, 3, 3, 2: errors 0, 1, 0, -2.
  RegressionMetrics m;
  m.add(std::vector<double>{1, 3}, std::vector<double>{1, 2});
  m.add(Tensor::from_vector(std::vector<double>{3, 2}, Shape{2, 1}),
        Tensor::from_vector(std::vector<double>{3, 4}, Shape{2}));
  EXPECT_DOUBLE_EQ(m.mse(), 5.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.mae(), 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.r2(), 1.0 - 5.0 / 5.0);
  RegressionMetrics perfect;
  perfect.add(std::vector<double>{1, 2, 4}, std::vector<double>{1, 2, 4});
  EXPECT_DOUBLE_EQ(perfect.r2(), 1.0);
}

TEST(Metrics, BadInputsAreUsageErrors) {
  ClassificationMetrics m(3);
  test::expect_error<UsageError>(
      [&] {
        m.add(Tensor::zeros(Shape{2, 3}), {0, 3});
      },
      {"label 3", "[0, 3)"});
  test::expect_error<ShapeError>([&] { m.add(Tensor::zeros(Shape{2, 4}), {0, 1}); }, {"(N, 3"});
  test::expect_error<ShapeError>([&] { m.add(Tensor::zeros(Shape{2, 3}), {0}); }, {"1 labels"});
  RegressionMetrics r;
  test::expect_error<ShapeError>([&] { r.add(Tensor::zeros(Shape{3}), Tensor::zeros(Shape{2})); },
                                 {"differ"});
}

TEST(Metrics, SegmentationScoresByHand) {
  // Pixels (truth -> predicted), 3 classes, 0 = background:
  // 0->0 x4, 0->1 x1, 1->1 x2, 1->0 x1, 2->2 x1, 2->1 x1.
  ClassificationMetrics m(3, 1);
  m.add_predictions({0, 0, 0, 0, 1, 1, 1, 0, 2, 1}, {0, 0, 0, 0, 0, 1, 1, 1, 2, 2});
  // IoU: class 0: TP 4 / (4 + FP 1 + FN 1) = 4/6; class 1: 2 / (2 + 2 + 1) = 2/5; class 2:
  // 1 / (1 + 0 + 1) = 1/2.
  EXPECT_DOUBLE_EQ(m.iou(0), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.iou(1), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.iou(2), 0.5);
  EXPECT_DOUBLE_EQ(m.mean_iou(), (4.0 / 6.0 + 0.4 + 0.5) / 3.0);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.7);
  // Foreground (1 or 2): present 5, found as foreground 4 (the 1->0 is lost) -> efficiency 4/5;
  // predicted foreground 5, of which truly foreground 4 -> purity 4/5.
  EXPECT_DOUBLE_EQ(m.efficiency(), 0.8);
  EXPECT_DOUBLE_EQ(m.purity(), 0.8);
  const auto v = segmentation_metric_values(m);
  EXPECT_EQ(v.size(), segmentation_metric_names().size());
  // Two classes: efficiency and purity are recall and precision of class 1.
  ClassificationMetrics b(2, 1);
  b.add_predictions({1, 1, 0, 0, 1}, {1, 0, 1, 0, 1});
  EXPECT_DOUBLE_EQ(b.efficiency(), b.recall(1));
  EXPECT_DOUBLE_EQ(b.purity(), b.precision(1));
  // A class neither present nor predicted does not count in the mean.
  ClassificationMetrics c(3, 1);
  c.add_predictions({0, 1}, {0, 1});
  EXPECT_DOUBLE_EQ(c.iou(2), 0.0);
  EXPECT_DOUBLE_EQ(c.mean_iou(), 1.0);
}

}  // namespace
}  // namespace physcnn::train

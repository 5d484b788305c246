// Metrics accumulated batch by batch: classification (accuracy, top-k, confusion matrix,
// per-class precision/recall/F1; per-pixel: IoU, mean IoU, efficiency, purity) and regression (MSE,
// MAE, R²). Sums are kept in double/int64 so the result does not depend on how a set is cut into
// batches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dist/comm.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::train {

// Scores of (N, C) logits, or per pixel of (N, C, H, W) logits, against integer labels.
class ClassificationMetrics {
 public:
  // classes: C; top_k: the k of the top-k accuracy (k >= C counts every sample).
  explicit ClassificationMetrics(int64_t classes, int64_t top_k = 5);
  // logits (N, C) with labels (N), or (N, C, d1, ...) with labels (N, d1, ...) in row-major
  // order. A label outside [0, C) is a UsageError naming it.
  void add(const Tensor& logits, const std::vector<int64_t>& labels);
  // From predicted classes directly (no top-k information: top-k counts as top-1).
  void add_predictions(const std::vector<int64_t>& predicted, const std::vector<int64_t>& labels);

  int64_t classes() const { return classes_; }
  int64_t top_k() const { return top_k_; }
  int64_t count() const { return count_; }
  double accuracy() const;
  double top_k_accuracy() const;
  // confusion(t, p): samples of true class t predicted as p.
  int64_t confusion(int64_t truth, int64_t predicted) const;
  const std::vector<int64_t>& confusion_matrix() const { return confusion_; }  // C×C row-major
  // 0 when the class was never predicted (precision) or never present (recall).
  double precision(int64_t c) const;
  double recall(int64_t c) const;
  double f1(int64_t c) const;
  double macro_f1() const;  // mean F1 over the classes present in the labels
  // Segmentation scores. IoU of class c: TP / (TP + FP + FN), 0 when c is neither present nor
  // predicted; mean_iou averages over the classes present or predicted. Efficiency and purity
  // are the recall and precision of the foreground, every class but 0 ("a track pixel found as
  // some track"); for two classes they are recall(1) and precision(1).
  double iou(int64_t c) const;
  double mean_iou() const;
  double efficiency() const;
  double purity() const;
  // Every count summed over the ranks of `comm` (data-parallel evaluation); every rank must
  // hold the same classes and top_k.
  void sum_over(const dist::Comm& comm);

 private:
  int64_t classes_, top_k_;
  int64_t count_ = 0, correct_ = 0, top_k_correct_ = 0;
  std::vector<int64_t> confusion_;
};

// Elementwise scores of predictions against targets of the same number of elements.
class RegressionMetrics {
 public:
  void add(const Tensor& predictions, const Tensor& targets);
  void add(const std::vector<double>& predictions, const std::vector<double>& targets);
  int64_t count() const { return count_; }
  double mse() const;
  double mae() const;
  // 1 - SS_res / SS_tot over all elements; 0 when the targets are constant (SS_tot = 0).
  double r2() const;
  void sum_over(const dist::Comm& comm);  // the sums over the ranks of `comm`

 private:
  int64_t count_ = 0;
  double sum_sq_ = 0, sum_abs_ = 0, sum_y_ = 0, sum_y2_ = 0;
};

// The per-epoch metric names of a task, in the order the CSV columns use.
std::vector<std::string> classification_metric_names(int64_t top_k);  // accuracy, top5_accuracy
std::vector<std::string> regression_metric_names();                   // mse, mae, r2
// accuracy (of the pixels), mean_iou, efficiency, purity
std::vector<std::string> segmentation_metric_names();
std::map<std::string, double> segmentation_metric_values(const ClassificationMetrics& m);
std::map<std::string, double> metric_values(const ClassificationMetrics& m);
std::map<std::string, double> metric_values(const RegressionMetrics& m);

}  // namespace physcnn::train

// Classification and regression metrics over batches.
#include "train/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace physcnn::train {

ClassificationMetrics::ClassificationMetrics(int64_t classes, int64_t top_k)
    : classes_(classes), top_k_(std::max<int64_t>(1, top_k)) {
  PHYSCNN_CHECK_ARG(classes >= 1, "metrics: the number of classes must be positive, got ", classes);
  confusion_.assign(size_t(classes * classes), 0);
}

void ClassificationMetrics::add(const Tensor& logits, const std::vector<int64_t>& labels) {
  PHYSCNN_CHECK_SHAPE(logits.dim() >= 2 && logits.size(1) == classes_, "metrics: logits ",
                      logits.shape().str(), " should be (N, ", classes_, ", ...)");
  const int64_t n = logits.size(0), c = classes_;
  const int64_t spatial = n ? logits.numel() / (n * c) : 0;  // pixels per sample
  PHYSCNN_CHECK_SHAPE(int64_t(labels.size()) == n * spatial, "metrics: ", labels.size(),
                      " labels for logits ", logits.shape().str(), " (expected ", n * spatial, ")");
  const std::vector<double> v = logits.contiguous().to_vector();
  std::vector<double> scores(static_cast<size_t>(c));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t s = 0; s < spatial; ++s) {
      const int64_t truth = labels[size_t(i * spatial + s)];
      PHYSCNN_CHECK_ARG(truth >= 0 && truth < c, "metrics: label ", truth, " outside [0, ", c, ")");
      // Logit of class k for this sample/pixel: v[(i*C + k)*spatial + s].
      for (int64_t k = 0; k < c; ++k) scores[size_t(k)] = v[size_t((i * c + k) * spatial + s)];
      // Ties go to the lower class index, as argmax does.
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k)
        if (scores[size_t(k)] > scores[size_t(best)]) best = k;
      // Rank of the true class: how many classes score strictly higher (or equal with a lower
      // index); it is in the top k when fewer than k beat it.
      const double t = scores[size_t(truth)];
      int64_t beaten_by = 0;
      for (int64_t k = 0; k < c; ++k) {
        const double sk = scores[size_t(k)];
        beaten_by += (sk > t || (sk == t && k < truth));
      }
      ++confusion_[size_t(truth * c + best)];
      correct_ += (best == truth);
      top_k_correct_ += (beaten_by < top_k_);
      ++count_;
    }
  }
}

void ClassificationMetrics::add_predictions(const std::vector<int64_t>& predicted,
                                            const std::vector<int64_t>& labels) {
  PHYSCNN_CHECK_SHAPE(predicted.size() == labels.size(), "metrics: ", predicted.size(),
                      " predictions for ", labels.size(), " labels");
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t t = labels[i], p = predicted[i];
    PHYSCNN_CHECK_ARG(t >= 0 && t < classes_ && p >= 0 && p < classes_, "metrics: label ", t,
                      " or prediction ", p, " outside [0, ", classes_, ")");
    ++confusion_[size_t(t * classes_ + p)];
    correct_ += (t == p);
    top_k_correct_ += (t == p);
    ++count_;
  }
}

double ClassificationMetrics::accuracy() const {
  return count_ ? double(correct_) / double(count_) : 0.0;
}
double ClassificationMetrics::top_k_accuracy() const {
  return count_ ? double(top_k_correct_) / double(count_) : 0.0;
}
int64_t ClassificationMetrics::confusion(int64_t truth, int64_t predicted) const {
  PHYSCNN_CHECK_ARG(truth >= 0 && truth < classes_ && predicted >= 0 && predicted < classes_,
                    "metrics: confusion(", truth, ", ", predicted, ") outside [0, ", classes_, ")");
  return confusion_[size_t(truth * classes_ + predicted)];
}
double ClassificationMetrics::precision(int64_t c) const {
  int64_t predicted = 0;
  for (int64_t t = 0; t < classes_; ++t) predicted += confusion(t, c);
  return predicted ? double(confusion(c, c)) / double(predicted) : 0.0;
}
double ClassificationMetrics::recall(int64_t c) const {
  int64_t present = 0;
  for (int64_t p = 0; p < classes_; ++p) present += confusion(c, p);
  return present ? double(confusion(c, c)) / double(present) : 0.0;
}
double ClassificationMetrics::f1(int64_t c) const {
  const double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
double ClassificationMetrics::macro_f1() const {
  double sum = 0;
  int64_t present = 0;
  for (int64_t c = 0; c < classes_; ++c) {
    int64_t row = 0;
    for (int64_t p = 0; p < classes_; ++p) row += confusion(c, p);
    if (row == 0) continue;
    sum += f1(c);
    ++present;
  }
  return present ? sum / double(present) : 0.0;
}

double ClassificationMetrics::iou(int64_t c) const {
  int64_t uni = 0;
  for (int64_t k = 0; k < classes_; ++k) uni += confusion(c, k) + confusion(k, c);
  uni -= confusion(c, c);
  return uni ? double(confusion(c, c)) / double(uni) : 0.0;
}
double ClassificationMetrics::mean_iou() const {
  double sum = 0;
  int64_t seen = 0;
  for (int64_t c = 0; c < classes_; ++c) {
    int64_t uni = 0;
    for (int64_t k = 0; k < classes_; ++k) uni += confusion(c, k) + confusion(k, c);
    if (uni == 0) continue;  // neither present nor predicted
    sum += iou(c);
    ++seen;
  }
  return seen ? sum / double(seen) : 0.0;
}
double ClassificationMetrics::efficiency() const {
  int64_t found = 0, present = 0;
  for (int64_t t = 1; t < classes_; ++t)
    for (int64_t p = 0; p < classes_; ++p) {
      present += confusion(t, p);
      found += p != 0 ? confusion(t, p) : 0;
    }
  return present ? double(found) / double(present) : 0.0;
}
double ClassificationMetrics::purity() const {
  int64_t right = 0, predicted = 0;
  for (int64_t p = 1; p < classes_; ++p)
    for (int64_t t = 0; t < classes_; ++t) {
      predicted += confusion(t, p);
      right += t != 0 ? confusion(t, p) : 0;
    }
  return predicted ? double(right) / double(predicted) : 0.0;
}

void RegressionMetrics::add(const Tensor& predictions, const Tensor& targets) {
  PHYSCNN_CHECK_SHAPE(predictions.numel() == targets.numel(), "metrics: predictions ",
                      predictions.shape().str(), " and targets ", targets.shape().str(),
                      " differ in size");
  add(predictions.contiguous().to_vector(), targets.contiguous().to_vector());
}

void RegressionMetrics::add(const std::vector<double>& p, const std::vector<double>& y) {
  PHYSCNN_CHECK_SHAPE(p.size() == y.size(), "metrics: ", p.size(), " predictions for ", y.size(),
                      " targets");
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] - y[i];
    sum_sq_ += e * e;
    sum_abs_ += std::abs(e);
    sum_y_ += y[i];
    sum_y2_ += y[i] * y[i];
  }
  count_ += int64_t(p.size());
}

void ClassificationMetrics::sum_over(const dist::Comm& comm) {
  if (!comm.distributed()) return;
  std::vector<int64_t> v{count_, correct_, top_k_correct_};
  v.insert(v.end(), confusion_.begin(), confusion_.end());
  comm.allreduce_sum(v);
  count_ = v[0];
  correct_ = v[1];
  top_k_correct_ = v[2];
  std::copy(v.begin() + 3, v.end(), confusion_.begin());
}

void RegressionMetrics::sum_over(const dist::Comm& comm) {
  if (!comm.distributed()) return;
  std::vector<int64_t> n{count_};
  comm.allreduce_sum(n);
  count_ = n[0];
  std::vector<double> v{sum_sq_, sum_abs_, sum_y_, sum_y2_};
  comm.allreduce_sum(v);
  sum_sq_ = v[0];
  sum_abs_ = v[1];
  sum_y_ = v[2];
  sum_y2_ = v[3];
}

double RegressionMetrics::mse() const {
  return count_ ? sum_sq_ / double(count_) : 0.0;
}
double RegressionMetrics::mae() const {
  return count_ ? sum_abs_ / double(count_) : 0.0;
}
double RegressionMetrics::r2() const {
  if (count_ == 0) return 0.0;
  const double mean = sum_y_ / double(count_);
  const double ss_tot = sum_y2_ - double(count_) * mean * mean;
  // Relative cut-off: sum_y2 - n*mean^2 cancels to rounding noise for constant targets.
  if (ss_tot <= 1e-12 * std::max(1.0, sum_y2_)) return 0.0;
  return 1.0 - sum_sq_ / ss_tot;
}

std::vector<std::string> classification_metric_names(int64_t top_k) {
  return {"accuracy", "top" + std::to_string(top_k) + "_accuracy"};
}
std::vector<std::string> segmentation_metric_names() {
  return {"accuracy", "mean_iou", "efficiency", "purity"};
}
std::vector<std::string> regression_metric_names() {
  return {"mse", "mae", "r2"};
}

std::map<std::string, double> metric_values(const ClassificationMetrics& m) {
  return {{"accuracy", m.accuracy()},
          {"top" + std::to_string(m.top_k()) + "_accuracy", m.top_k_accuracy()}};
}
std::map<std::string, double> segmentation_metric_values(const ClassificationMetrics& m) {
  return {{"accuracy", m.accuracy()},
          {"mean_iou", m.mean_iou()},
          {"efficiency", m.efficiency()},
          {"purity", m.purity()}};
}
std::map<std::string, double> metric_values(const RegressionMetrics& m) {
  return {{"mse", m.mse()}, {"mae", m.mae()}, {"r2", m.r2()}};
}

}  // namespace physcnn::train

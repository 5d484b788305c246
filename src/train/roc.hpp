// The ROC curve of a binary classifier's scores: signal efficiency (true-positive rate) against
// background efficiency (false-positive rate) over every threshold, its area (AUC), and the
// background rejection 1 / eps_B at a signal efficiency of 50 % (the jet-tagging figure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace physcnn::train {

struct Roc {
  // From threshold +inf down to -inf: (0, 0) first, (1, 1) last; samples with equal scores make
  // one (diagonal) step together.
  std::vector<double> signal_efficiency, background_efficiency;
  double auc = 0;  // trapezoids: the probability that a signal outscores a background, ties 1/2
  // 1 / eps_B where the curve first reaches eps_S = 0.5 (linear between its points); +inf when
  // no background passes there.
  double rejection_at_50 = 0;
  int64_t signal = 0, background = 0;
};

// scores: higher means more signal-like; labels: 1 signal, 0 background. UsageError when the
// lengths differ, a label is neither 0 nor 1, a score is NaN, or a class is missing.
Roc roc_curve(const std::vector<double>& scores, const std::vector<int64_t>& labels);

// Background efficiency at a signal efficiency (linear between the curve's points).
double background_efficiency_at(const Roc& roc, double signal_efficiency);

// The curve with at most max_points points (evenly spaced along it, ends kept), for files.
Roc thin(const Roc& roc, size_t max_points);

}  // namespace physcnn::train

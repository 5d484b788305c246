// ROC curves: signal efficiency against background efficiency for one or more binary
// classifiers, with the chance diagonal and the 50 % signal-efficiency working point.
#pragma once

#include <string>
#include <vector>

#include "viz/line_plot.hpp"

namespace physcnn::viz {

struct RocCurve {
  std::string label;  // e.g. "constituent preprocessing"; the AUC is appended
  std::vector<double> signal_efficiency, background_efficiency;  // same length, from (0, 0)
  double auc = 0;
};

// A LinePlot: x background efficiency (false-positive rate), y signal efficiency, the diagonal
// of a classifier that guesses, and a horizontal line at 50 % signal efficiency. ShapeError
// when a curve's two lists differ in length; UsageError when a value is outside [0, 1].
LinePlot roc_plot(const std::vector<RocCurve>& curves, const std::string& title = "ROC curve");

}  // namespace physcnn::viz

// ROC curve, AUC and background rejection from binary scores.
#include "train/roc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"

namespace physcnn::train {

Roc roc_curve(const std::vector<double>& scores, const std::vector<int64_t>& labels) {
  PHYSCNN_CHECK_ARG(scores.size() == labels.size(), "roc: ", scores.size(), " scores for ",
                    labels.size(), " labels");
  Roc r;
  for (size_t i = 0; i < scores.size(); ++i) {
    PHYSCNN_CHECK_ARG(labels[i] == 0 || labels[i] == 1, "roc: label ", i, " is ", labels[i],
                      ", expected 0 (background) or 1 (signal)");
    PHYSCNN_CHECK_ARG(!std::isnan(scores[i]), "roc: score ", i, " is NaN");
    (labels[i] ? r.signal : r.background) += 1;
  }
  PHYSCNN_CHECK_ARG(r.signal > 0 && r.background > 0, "roc: need both classes, got ", r.signal,
                    " signal and ", r.background, " background samples");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  r.signal_efficiency.push_back(0);
  r.background_efficiency.push_back(0);
  int64_t tp = 0, fp = 0;
  for (size_t k = 0; k < order.size();) {
    const double s = scores[order[k]];
    for (; k < order.size() && scores[order[k]] == s; ++k) (labels[order[k]] ? tp : fp) += 1;
    r.signal_efficiency.push_back(double(tp) / double(r.signal));
    r.background_efficiency.push_back(double(fp) / double(r.background));
  }
  for (size_t i = 1; i < r.signal_efficiency.size(); ++i)
    r.auc += (r.background_efficiency[i] - r.background_efficiency[i - 1]) *
             (r.signal_efficiency[i] + r.signal_efficiency[i - 1]) / 2;
  const double eps_b = background_efficiency_at(r, 0.5);
  r.rejection_at_50 = eps_b > 0 ? 1 / eps_b : std::numeric_limits<double>::infinity();
  return r;
}

double background_efficiency_at(const Roc& r, double eff) {
  PHYSCNN_CHECK_ARG(eff >= 0 && eff <= 1, "roc: signal efficiency must be in [0, 1], got ", eff);
  const auto& s = r.signal_efficiency;
  const auto& b = r.background_efficiency;
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i] >= eff) {
      if (s[i] == s[i - 1]) return b[i - 1];
      return b[i - 1] + (b[i] - b[i - 1]) * (eff - s[i - 1]) / (s[i] - s[i - 1]);
    }
  return b.empty() ? 0 : b.back();
}

Roc thin(const Roc& roc, size_t max_points) {
  const size_t n = roc.signal_efficiency.size();
  if (n <= max_points || max_points < 2) return roc;
  Roc out = roc;
  out.signal_efficiency.clear();
  out.background_efficiency.clear();
  for (size_t k = 0; k < max_points; ++k) {
    const size_t i = k * (n - 1) / (max_points - 1);
    out.signal_efficiency.push_back(roc.signal_efficiency[i]);
    out.background_efficiency.push_back(roc.background_efficiency[i]);
  }
  return out;
}

}  // namespace physcnn::train

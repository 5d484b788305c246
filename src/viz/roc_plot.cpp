// ROC curves as a line plot.
#include "viz/roc_plot.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace physcnn::viz {

LinePlot roc_plot(const std::vector<RocCurve>& curves, const std::string& title) {
  LinePlot plot({.title = title,
                 .x_label = "background efficiency (false-positive rate)",
                 .y_label = "signal efficiency (true-positive rate)",
                 .width = 600,
                 .height = 500,
                 .x_min = 0.0,
                 .x_max = 1.0,
                 .y_min = 0.0,
                 .y_max = 1.0});
  for (size_t k = 0; k < curves.size(); ++k) {
    const RocCurve& c = curves[k];
    for (size_t i = 0; i < c.signal_efficiency.size(); ++i) {
      const double s = c.signal_efficiency[i];
      const double b = i < c.background_efficiency.size() ? c.background_efficiency[i] : 0;
      PHYSCNN_CHECK_ARG(s >= 0 && s <= 1 && b >= 0 && b <= 1, "roc plot: curve '", c.label,
                        "' point ", i, " is (", b, ", ", s, "), outside [0, 1]");
    }
    char auc[32];
    std::snprintf(auc, sizeof auc, "AUC %.4f", c.auc);
    plot.add({.label = c.label.empty() ? auc : c.label + ", " + auc,
              .x = c.background_efficiency,
              .y = c.signal_efficiency,
              .style = SeriesStyle::Lines,
              .color = k});
  }
  plot.add({.label = "chance",
            .x = {0, 1},
            .y = {0, 1},
            .style = SeriesStyle::Lines,
            .dashed = true,
            .color = curves.size()});
  plot.add_reference({.value = 0.5, .label = "50 % signal efficiency", .vertical = false});
  return plot;
}

}  // namespace physcnn::viz

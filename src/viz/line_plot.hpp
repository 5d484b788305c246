// Line and scatter plots with error bars, reference lines, nice ticks, a legend and optional
// log-y, written as PNG or SVG (e.g. P(ordered) vs T per lattice size with Onsager's T_c).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "viz/figure.hpp"

namespace physcnn::viz {

enum class SeriesStyle { Lines, Markers, LinesAndMarkers };

struct Series {
  std::string label;            // legend text; empty: not in the legend
  std::vector<double> x, y;     // same length; NaN y leaves a gap
  std::vector<double> y_error;  // empty, or one symmetric error bar per point
  SeriesStyle style = SeriesStyle::LinesAndMarkers;
  bool dashed = false;
  std::optional<size_t> color;  // palette index; default: the series' position
};

// A full-height (vertical) or full-width line at a fixed value, e.g. "Onsager T_c".
struct ReferenceLine {
  double value = 0;
  std::string label;
  bool vertical = true;
};

struct PlotOptions {
  std::string title, x_label, y_label;  // labels carry their units, e.g. "temperature T (J/k_B)"
  bool log_y = false;
  bool integer_x = false;  // x ticks on whole numbers only (epochs, sizes)
  int width = 800, height = 500;
  std::optional<double> x_min, x_max, y_min, y_max;  // default: from the data, widened to ticks
};

class LinePlot : public Figure {
 public:
  explicit LinePlot(PlotOptions options);
  // Throws ShapeError when x, y and y_error lengths differ.
  LinePlot& add(Series series);
  LinePlot& add_reference(ReferenceLine line);

  const std::vector<Series>& series() const { return series_; }

 protected:
  void draw(_cairo* cr) const override;
  std::string title() const override { return options_.title; }
  std::vector<std::string> text() const override;

 private:
  PlotOptions options_;
  std::vector<Series> series_;
  std::vector<ReferenceLine> references_;
};

}  // namespace physcnn::viz

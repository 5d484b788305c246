// A matrix drawn as coloured cells with optional values written in them and a colour bar,
// e.g. a confusion matrix (rows: true class, columns: predicted class, counts in the cells).
#pragma once

#include <string>
#include <vector>

#include "viz/figure.hpp"

namespace physcnn::viz {

struct HeatmapOptions {
  std::string title, x_label, y_label;
  std::vector<std::string> row_labels, col_labels;  // empty: 0, 1, 2, ...
  ColorMap color_map = ColorMap::Sequential;
  bool show_values = true;  // the number in each cell
  int decimals = 0;         // of the numbers in the cells (0 for counts)
  int width = 640, height = 560;
};

class Heatmap : public Figure {
 public:
  // values: rows × cols, row-major. Throws ShapeError when the sizes or labels do not match.
  Heatmap(std::vector<double> values, int64_t rows, int64_t cols, HeatmapOptions options);

 protected:
  void draw(_cairo* cr) const override;
  std::string title() const override { return options_.title; }
  std::vector<std::string> text() const override;

 private:
  std::vector<double> values_;
  int64_t rows_, cols_;
  HeatmapOptions options_;
};

}  // namespace physcnn::viz

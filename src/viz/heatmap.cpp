// Heatmap: square-ish cells in a box, labels on both axes, values in the cells, colour bar.
#include "viz/heatmap.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "viz/draw.hpp"

namespace physcnn::viz {

using detail::HAlign;
using detail::VAlign;

Heatmap::Heatmap(std::vector<double> values, int64_t rows, int64_t cols, HeatmapOptions options)
    : Figure(options.width, options.height),
      values_(std::move(values)),
      rows_(rows),
      cols_(cols),
      options_(std::move(options)) {
  PHYSCNN_CHECK_SHAPE(rows > 0 && cols > 0 && static_cast<int64_t>(values_.size()) == rows * cols,
                      "Heatmap: ", values_.size(), " values do not fill ", rows, " x ", cols,
                      " cells");
  PHYSCNN_CHECK_SHAPE(
      options_.row_labels.empty() || static_cast<int64_t>(options_.row_labels.size()) == rows,
      "Heatmap: ", options_.row_labels.size(), " row labels for ", rows, " rows");
  PHYSCNN_CHECK_SHAPE(
      options_.col_labels.empty() || static_cast<int64_t>(options_.col_labels.size()) == cols,
      "Heatmap: ", options_.col_labels.size(), " column labels for ", cols, " columns");
  for (int64_t i = 0; i < rows; ++i)
    if (options_.row_labels.empty()) options_.row_labels.push_back(std::to_string(i));
  for (int64_t j = 0; j < cols; ++j)
    if (options_.col_labels.empty()) options_.col_labels.push_back(std::to_string(j));
}

std::vector<std::string> Heatmap::text() const {
  std::vector<std::string> t{options_.x_label, options_.y_label};
  t.insert(t.end(), options_.row_labels.begin(), options_.row_labels.end());
  t.insert(t.end(), options_.col_labels.begin(), options_.col_labels.end());
  return t;
}

void Heatmap::draw(cairo_t* cr) const {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values_)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (options_.color_map == ColorMap::Diverging)
    hi = std::max(std::abs(lo), std::abs(hi)), lo = -hi;
  if (hi == lo) hi = lo + 1;

  detail::set_font(cr, 12);
  double row_w = 0;
  for (const auto& l : options_.row_labels) row_w = std::max(row_w, detail::text_width(cr, l));
  const double left = 34 + row_w + 8, top = options_.title.empty() ? 20 : 48;
  const double right = width() - 90, bottom = height() - 58;
  const double cw = (right - left) / cols_, ch = (bottom - top) / rows_;

  for (int64_t i = 0; i < rows_; ++i)
    for (int64_t j = 0; j < cols_; ++j) {
      const double v = values_[i * cols_ + j];
      const double t = (v - lo) / (hi - lo);
      const Color c = map_color(options_.color_map, t);
      detail::set_color(cr, c);
      cairo_rectangle(cr, left + j * cw, top + i * ch, cw + 0.5, ch + 0.5);
      cairo_fill(cr);
      if (!options_.show_values) continue;
      // Dark text on light cells, white on dark ones (relative luminance, ITU-R BT.709).
      const double lum = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
      detail::set_color(cr, lum > 0.5 ? Color{0.05, 0.05, 0.05} : Color{1, 1, 1});
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.*f", options_.decimals, v);
      detail::set_font(cr, std::clamp(std::min(cw, ch) * 0.3, 7.0, 16.0));
      detail::draw_text(cr, buf, left + (j + 0.5) * cw, top + (i + 0.5) * ch, HAlign::Center,
                        VAlign::Middle);
    }
  cairo_set_line_width(cr, 1);
  detail::set_color(cr, {0.2, 0.2, 0.2});
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);

  detail::set_font(cr, 12);
  for (int64_t i = 0; i < rows_; ++i)
    detail::draw_text(cr, options_.row_labels[i], left - 6, top + (i + 0.5) * ch, HAlign::Right,
                      VAlign::Middle);
  for (int64_t j = 0; j < cols_; ++j)
    detail::draw_text(cr, options_.col_labels[j], left + (j + 0.5) * cw, bottom + 6, HAlign::Center,
                      VAlign::Top);
  detail::set_font(cr, 13);
  detail::draw_text(cr, options_.x_label, (left + right) / 2, height() - 10, HAlign::Center,
                    VAlign::Bottom);
  detail::draw_text(cr, options_.y_label, 10, (top + bottom) / 2, HAlign::Center, VAlign::Top,
                    -M_PI / 2);
  if (!options_.title.empty()) {
    detail::set_font(cr, 15, true);
    detail::draw_text(cr, options_.title, (left + right) / 2, 14, HAlign::Center, VAlign::Top);
  }
  detail::draw_color_bar(cr, options_.color_map, lo, hi, right + 16, top, 16, bottom - top);
}

}  // namespace physcnn::viz

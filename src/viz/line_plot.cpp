// LinePlot: data ranges to nice axes, then frame, grid, ticks, series, reference lines, legend.
#include "viz/line_plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "viz/draw.hpp"

namespace physcnn::viz {

using detail::HAlign;
using detail::VAlign;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const Color kReferenceColor{0.75, 0.10, 0.10};

struct Range {
  double lo = kInf, hi = -kInf;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// Maps data coordinates to the plot box in pixels.
struct Frame {
  double left, top, right, bottom;
  Ticks x, y;
  bool log_y;
  double px(double v) const { return left + (v - x.lo) / (x.hi - x.lo) * (right - left); }
  double py(double v) const {
    const double t =
        log_y ? (std::log10(v) - std::log10(y.lo)) / (std::log10(y.hi) - std::log10(y.lo))
              : (v - y.lo) / (y.hi - y.lo);
    return bottom - t * (bottom - top);
  }
};

// Whether a tick lies on the axis, allowing for the rounding of lo + i * step.
bool within(double v, double lo, double hi) {
  const double tol = 1e-9 * (hi - lo);
  return v >= lo - tol && v <= hi + tol;
}

void set_dash(cairo_t* cr, bool dashed) {
  static const double dash[] = {6.0, 4.0};
  cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
}

}  // namespace

LinePlot::LinePlot(PlotOptions options)
    : Figure(options.width, options.height), options_(std::move(options)) {}

LinePlot& LinePlot::add(Series s) {
  PHYSCNN_CHECK_SHAPE(s.x.size() == s.y.size(), "LinePlot::add: series '", s.label, "' has ",
                      s.x.size(), " x values but ", s.y.size(), " y values");
  PHYSCNN_CHECK_SHAPE(s.y_error.empty() || s.y_error.size() == s.y.size(),
                      "LinePlot::add: series '", s.label, "' has ", s.y.size(), " y values but ",
                      s.y_error.size(), " error bars");
  if (!s.color) s.color = series_.size();
  series_.push_back(std::move(s));
  return *this;
}

LinePlot& LinePlot::add_reference(ReferenceLine line) {
  PHYSCNN_CHECK_ARG(std::isfinite(line.value), "LinePlot::add_reference: '", line.label,
                    "' has a non-finite value ", line.value);
  references_.push_back(std::move(line));
  return *this;
}

std::vector<std::string> LinePlot::text() const {
  std::vector<std::string> t{options_.x_label, options_.y_label};
  for (const auto& s : series_)
    if (!s.label.empty()) t.push_back(s.label);
  for (const auto& r : references_)
    if (!r.label.empty()) t.push_back(r.label);
  return t;
}

void LinePlot::draw(cairo_t* cr) const {
  const bool log_y = options_.log_y;
  Range xr, yr;
  for (const auto& s : series_)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (log_y && s.y[i] <= 0)) continue;
      xr.add(s.x[i]);
      const double e = s.y_error.empty() ? 0 : s.y_error[i];
      yr.add(s.y[i] + e);
      yr.add(log_y && s.y[i] - e <= 0 ? s.y[i] : s.y[i] - e);
    }
  for (const auto& r : references_) (r.vertical ? xr : yr).add(r.value);
  if (xr.empty()) xr = {0, 1};
  if (yr.empty()) yr = log_y ? Range{1, 10} : Range{0, 1};
  if (options_.x_min) xr.lo = *options_.x_min;
  if (options_.x_max) xr.hi = *options_.x_max;
  if (options_.y_min) yr.lo = *options_.y_min;
  if (options_.y_max) yr.hi = *options_.y_max;

  // Legend entries decide the right margin: the legend sits outside the data, never over it.
  detail::set_font(cr, 12);
  double legend_w = 0;
  int legend_n = 0;
  for (const auto& s : series_)
    if (!s.label.empty())
      legend_w = std::max(legend_w, detail::text_width(cr, s.label)), ++legend_n;
  for (const auto& r : references_)
    if (!r.label.empty())
      legend_w = std::max(legend_w, detail::text_width(cr, r.label)), ++legend_n;
  const double legend_box = legend_n ? legend_w + 52 : 0;

  Frame f;
  f.log_y = log_y;
  f.x = nice_ticks(xr.lo, xr.hi, 7);
  f.y = log_y ? log_ticks(yr.lo, yr.hi) : nice_ticks(yr.lo, yr.hi, 6);
  if (options_.integer_x && f.x.step < 1) {
    f.x.step = 1;
    f.x.lo = std::floor(xr.lo);
    f.x.hi = std::max(std::ceil(xr.hi), f.x.lo + 1);
    f.x.decimals = 0;
    f.x.values.clear();
    for (double v = f.x.lo; v <= f.x.hi; v += 1) f.x.values.push_back(v);
  }
  if (options_.x_min) f.x.lo = *options_.x_min;
  if (options_.x_max) f.x.hi = *options_.x_max;
  if (options_.y_min && !log_y) f.y.lo = *options_.y_min;
  if (options_.y_max && !log_y) f.y.hi = *options_.y_max;
  // Log axes label each decade with the digits it needs (0.01, 0.1, 1, 10).
  const auto y_tick_label = [&](double v) {
    return format_tick(
        v, log_y ? std::max(0, -static_cast<int>(std::floor(std::log10(v) + 1e-9))) : f.y.decimals);
  };
  double y_label_w = 0;
  for (double v : f.y.values)
    y_label_w = std::max(y_label_w, detail::text_width(cr, y_tick_label(v)));
  f.left = 30 + y_label_w + 14;
  f.top = options_.title.empty() ? 20 : 48;
  f.right = width() - 20 - legend_box;
  f.bottom = height() - 58;

  // Grid and frame.
  cairo_set_line_width(cr, 1);
  detail::set_color(cr, {0.90, 0.90, 0.90});
  for (double v : f.x.values) {
    if (!within(v, f.x.lo, f.x.hi)) continue;
    cairo_move_to(cr, f.px(v), f.top);
    cairo_line_to(cr, f.px(v), f.bottom);
  }
  for (double v : f.y.values) {
    if (!within(v, f.y.lo, f.y.hi)) continue;
    cairo_move_to(cr, f.left, f.py(v));
    cairo_line_to(cr, f.right, f.py(v));
  }
  cairo_stroke(cr);
  detail::set_color(cr, {0.2, 0.2, 0.2});
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_stroke(cr);

  // Ticks and their labels.
  detail::set_font(cr, 12);
  for (double v : f.x.values) {
    if (!within(v, f.x.lo, f.x.hi)) continue;
    cairo_move_to(cr, f.px(v), f.bottom);
    cairo_line_to(cr, f.px(v), f.bottom + 5);
    cairo_stroke(cr);
    detail::draw_text(cr, format_tick(v, f.x.decimals), f.px(v), f.bottom + 8, HAlign::Center,
                      VAlign::Top);
  }
  for (double v : f.y.values) {
    if (!within(v, f.y.lo, f.y.hi)) continue;
    cairo_move_to(cr, f.left - 5, f.py(v));
    cairo_line_to(cr, f.left, f.py(v));
    cairo_stroke(cr);
    detail::draw_text(cr, y_tick_label(v), f.left - 8, f.py(v), HAlign::Right, VAlign::Middle);
  }
  detail::set_font(cr, 13);
  detail::draw_text(cr, options_.x_label, (f.left + f.right) / 2, height() - 10, HAlign::Center,
                    VAlign::Bottom);
  detail::draw_text(cr, options_.y_label, 10, (f.top + f.bottom) / 2, HAlign::Center, VAlign::Top,
                    -M_PI / 2);
  if (!options_.title.empty()) {
    detail::set_font(cr, 15, true);
    detail::draw_text(cr, options_.title, (f.left + f.right) / 2, 14, HAlign::Center, VAlign::Top);
  }

  // Data, clipped to the box widened by a marker so that points on the edge show whole.
  cairo_save(cr);
  cairo_rectangle(cr, f.left - 5, f.top - 5, f.right - f.left + 10, f.bottom - f.top + 10);
  cairo_clip(cr);
  for (const auto& r : references_) {
    detail::set_color(cr, kReferenceColor);
    cairo_set_line_width(cr, 1.5);
    set_dash(cr, true);
    if (r.vertical) {
      cairo_move_to(cr, f.px(r.value), f.top);
      cairo_line_to(cr, f.px(r.value), f.bottom);
    } else {
      cairo_move_to(cr, f.left, f.py(r.value));
      cairo_line_to(cr, f.right, f.py(r.value));
    }
    cairo_stroke(cr);
    set_dash(cr, false);
  }
  for (const auto& s : series_) {
    detail::set_color(cr, palette_color(*s.color));
    const auto ok = [&](size_t i) {
      return std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && (!log_y || s.y[i] > 0);
    };
    cairo_set_line_width(cr, 1.2);
    for (size_t i = 0; i < s.y_error.size(); ++i) {
      if (!ok(i) || !(s.y_error[i] > 0)) continue;
      const double lo = log_y ? std::max(s.y[i] - s.y_error[i], f.y.lo) : s.y[i] - s.y_error[i];
      detail::draw_error_bar(cr, f.px(s.x[i]), f.py(lo), f.py(s.y[i] + s.y_error[i]), 3);
    }
    if (s.style != SeriesStyle::Markers) {
      cairo_set_line_width(cr, 2);
      set_dash(cr, s.dashed);
      bool pen_down = false;
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!ok(i)) {
          pen_down = false;
          continue;
        }
        if (pen_down)
          cairo_line_to(cr, f.px(s.x[i]), f.py(s.y[i]));
        else
          cairo_move_to(cr, f.px(s.x[i]), f.py(s.y[i]));
        pen_down = true;
      }
      cairo_stroke(cr);
      set_dash(cr, false);
    }
    if (s.style != SeriesStyle::Lines)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (ok(i)) detail::draw_marker(cr, f.px(s.x[i]), f.py(s.y[i]), 3.5);
  }
  cairo_restore(cr);

  // Legend, right of the box.
  if (legend_n) {
    const double x0 = f.right + 14;
    double y = f.top + 8;
    detail::set_font(cr, 12);
    const auto entry = [&](const std::string& label, Color c, bool line, bool marker, bool dash) {
      detail::set_color(cr, c);
      if (line) {
        cairo_set_line_width(cr, 2);
        set_dash(cr, dash);
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x0 + 28, y);
        cairo_stroke(cr);
        set_dash(cr, false);
      }
      if (marker) detail::draw_marker(cr, x0 + 14, y, 3.5);
      detail::set_color(cr, {0.1, 0.1, 0.1});
      detail::draw_text(cr, label, x0 + 36, y, HAlign::Left, VAlign::Middle);
      y += 20;
    };
    for (const auto& s : series_)
      if (!s.label.empty())
        entry(s.label, palette_color(*s.color), s.style != SeriesStyle::Markers,
              s.style != SeriesStyle::Lines, s.dashed);
    for (const auto& r : references_)
      if (!r.label.empty()) entry(r.label, kReferenceColor, true, false, true);
  }
}

}  // namespace physcnn::viz

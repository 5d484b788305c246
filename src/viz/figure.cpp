// Colours, tick selection and PNG/SVG output shared by every viz picture.
#include "viz/figure.hpp"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "viz/draw.hpp"

namespace physcnn::viz {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Color palette_color(size_t index) {
  // Okabe & Ito's colour-blind safe palette (Color Universal Design, 2008), yellow dropped as
  // it is unreadable on white.
  static const std::array<Color, 7> colors{{{0.00, 0.45, 0.70},
                                            {0.90, 0.62, 0.00},
                                            {0.00, 0.62, 0.45},
                                            {0.84, 0.37, 0.00},
                                            {0.80, 0.47, 0.65},
                                            {0.34, 0.71, 0.91},
                                            {0.00, 0.00, 0.00}}};
  return colors[index % colors.size()];
}

namespace {

Color lerp(const Color& a, const Color& b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t, 1};
}

template <size_t N>
Color interpolate(const std::array<Color, N>& stops, double t) {
  t = std::clamp(t, 0.0, 1.0) * (N - 1);
  const size_t i = std::min(static_cast<size_t>(t), N - 2);
  return lerp(stops[i], stops[i + 1], t - static_cast<double>(i));
}

}  // namespace

Color map_color(ColorMap map, double t) {
  // Stops sampled from matplotlib's viridis and ColorBrewer's RdBu (reversed: blue negative).
  static const std::array<Color, 6> viridis{{{0.267, 0.005, 0.329},
                                             {0.254, 0.265, 0.530},
                                             {0.164, 0.471, 0.558},
                                             {0.134, 0.658, 0.518},
                                             {0.478, 0.821, 0.318},
                                             {0.993, 0.906, 0.144}}};
  static const std::array<Color, 5> rdbu{{{0.129, 0.400, 0.674},
                                          {0.573, 0.773, 0.871},
                                          {0.969, 0.969, 0.969},
                                          {0.957, 0.647, 0.510},
                                          {0.698, 0.094, 0.169}}};
  if (std::isnan(t)) return {0.6, 0.6, 0.6, 1};
  return map == ColorMap::Sequential ? interpolate(viridis, t) : interpolate(rdbu, t);
}

namespace {

// The nice number (1, 2, 5 or 10 times a power of ten) closest to x.
double nice_number(double x) {
  const double exponent = std::floor(std::log10(x));
  const double fraction = x / std::pow(10.0, exponent);
  const double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * std::pow(10.0, exponent);
}

int decimals_for(double step) {
  return std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int target) {
  PHYSCNN_CHECK_ARG(std::isfinite(lo) && std::isfinite(hi),
                    "nice_ticks: the axis range must be finite, got [", lo, ", ", hi, "]");
  PHYSCNN_CHECK_ARG(target >= 2, "nice_ticks: target must be at least 2, got ", target);
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(lo))) {
    const double pad = lo == 0 ? 1 : 0.1 * std::abs(lo);
    lo -= pad;
    hi += pad;
  }
  // Heckbert first rounds the range up to a nice number, which can halve the tick count
  // (1..3.5 gets steps of 1); rounding the raw step keeps the count near `target`.
  const double step = nice_number((hi - lo) / (target - 1));
  Ticks t;
  t.step = step;
  // The small tolerance keeps 0.3/0.1 = 2.9999… from adding a spurious extra step.
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  t.decimals = decimals_for(step);
  const auto n = static_cast<int64_t>(std::llround((t.hi - t.lo) / step));
  for (int64_t i = 0; i <= n; ++i) {
    double v = t.lo + static_cast<double>(i) * step;
    if (std::abs(v) < step * 1e-9) v = 0;  // no "-0.0"
    t.values.push_back(v);
  }
  return t;
}

Ticks log_ticks(double lo, double hi) {
  PHYSCNN_CHECK_ARG(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && hi > 0,
                    "log_ticks: a log axis needs a positive finite range, got [", lo, ", ", hi,
                    "]");
  if (lo > hi) std::swap(lo, hi);
  int e_lo = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int e_hi = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (e_hi == e_lo) ++e_hi;
  Ticks t;
  t.lo = std::pow(10.0, e_lo);
  t.hi = std::pow(10.0, e_hi);
  t.step = 10;
  const bool fine = e_hi - e_lo <= 2;
  for (int e = e_lo; e <= e_hi; ++e) {
    const double d = std::pow(10.0, e);
    t.values.push_back(d);
    if (fine && e < e_hi) {
      t.values.push_back(2 * d);
      t.values.push_back(5 * d);
    }
  }
  t.decimals = std::max(0, -e_lo);
  return t;
}

std::string format_tick(double value, int decimals) {
  char buf[48];
  if (value != 0 && (std::abs(value) >= 1e6 || std::abs(value) < 1e-4 || decimals > 5))
    std::snprintf(buf, sizeof buf, "%.3g", value);
  else
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 10), value);
  return buf;
}

namespace detail {

void set_color(cairo_t* cr, Color c) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

void set_font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

void draw_text(cairo_t* cr, const std::string& s, double x, double y, HAlign h, VAlign v,
               double angle) {
  // Align on the font's ascent/descent rather than the string's ink so that labels of
  // different letters sit on one baseline.
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double w = text_width(cr, s);
  const double dx = h == HAlign::Left ? 0 : h == HAlign::Center ? -w / 2 : -w;
  const double dy = v == VAlign::Top      ? fe.ascent
                    : v == VAlign::Middle ? (fe.ascent - fe.descent) / 2
                                          : -fe.descent;
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, dx, dy);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void draw_marker(cairo_t* cr, double x, double y, double radius) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x, y, radius, 0, 2 * M_PI);
  cairo_fill(cr);
}

void draw_error_bar(cairo_t* cr, double x, double y_low, double y_high, double cap) {
  cairo_move_to(cr, x, y_low);
  cairo_line_to(cr, x, y_high);
  cairo_move_to(cr, x - cap, y_low);
  cairo_line_to(cr, x + cap, y_low);
  cairo_move_to(cr, x - cap, y_high);
  cairo_line_to(cr, x + cap, y_high);
  cairo_stroke(cr);
}

void draw_color_bar(cairo_t* cr, ColorMap map, double lo, double hi, double x, double y, double w,
                    double h) {
  cairo_pattern_t* gradient = cairo_pattern_create_linear(0, y + h, 0, y);
  for (int i = 0; i <= 16; ++i) {
    const Color c = map_color(map, i / 16.0);
    cairo_pattern_add_color_stop_rgb(gradient, i / 16.0, c.r, c.g, c.b);
  }
  cairo_set_source(cr, gradient);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
  cairo_pattern_destroy(gradient);
  cairo_set_line_width(cr, 1);
  set_color(cr, {0.3, 0.3, 0.3});
  cairo_rectangle(cr, x, y, w, h);
  cairo_stroke(cr);
  if (!(hi > lo)) hi = lo + 1;
  const Ticks t = nice_ticks(lo, hi, 5);
  set_font(cr, 11);
  for (double v : t.values) {
    if (v < lo - 1e-9 * (hi - lo) || v > hi + 1e-9 * (hi - lo)) continue;
    const double py = y + h - (v - lo) / (hi - lo) * h;
    cairo_move_to(cr, x + w, py);
    cairo_line_to(cr, x + w + 4, py);
    cairo_stroke(cr);
    draw_text(cr, format_tick(v, t.decimals), x + w + 6, py, HAlign::Left, VAlign::Middle);
  }
}

}  // namespace detail

namespace {

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void check_status(cairo_status_t status, const std::string& what, const std::string& path) {
  PHYSCNN_CHECK(status == CAIRO_STATUS_SUCCESS, IoError, what, " ", path,
                ": cairo error: ", cairo_status_to_string(status));
}

}  // namespace

Figure::Figure(int width, int height) : width_(width), height_(height) {
  PHYSCNN_CHECK_ARG(width >= 50 && height >= 50 && width <= 10000 && height <= 10000,
                    "Figure: size must be within 50..10000 pixels, got ", width, " x ", height);
}

void Figure::save_png(const std::string& path) const {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_, height_),
                     cairo_surface_destroy);
  check_status(cairo_surface_status(surface.get()), "save_png: creating the image for", path);
  {
    ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    draw(cr.get());
    check_status(cairo_status(cr.get()), "save_png: drawing", path);
  }
  std::string bytes;
  check_status(cairo_surface_write_to_png_stream(surface.get(), append_to_string, &bytes),
               "save_png: encoding", path);
  io::write_file_atomic(path, [&](std::ostream& out) { out << bytes; });
}

void Figure::save_svg(const std::string& path) const {
  std::string bytes;
  {
    SurfacePtr surface(
        cairo_svg_surface_create_for_stream(append_to_string, &bytes, width_, height_),
        cairo_surface_destroy);
    check_status(cairo_surface_status(surface.get()), "save_svg: creating the SVG for", path);
    {
      ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
      cairo_set_source_rgb(cr.get(), 1, 1, 1);
      cairo_paint(cr.get());
      draw(cr.get());
      check_status(cairo_status(cr.get()), "save_svg: drawing", path);
    }
    cairo_surface_finish(surface.get());
    check_status(cairo_surface_status(surface.get()), "save_svg: writing", path);
  }
  // <title> and <desc> go right after the opening <svg ...> tag (SVG 1.1 §5.4).
  const size_t svg = bytes.find("<svg");
  const size_t end = svg == std::string::npos ? svg : bytes.find('>', svg);
  PHYSCNN_CHECK(end != std::string::npos, IoError, "save_svg: cairo wrote no <svg> element for ",
                path);
  std::string meta = "\n<title>" + xml_escape(title()) + "</title>\n<desc>";
  const auto lines = text();
  for (size_t i = 0; i < lines.size(); ++i) meta += (i ? "\n" : "") + xml_escape(lines[i]);
  meta += "</desc>";
  bytes.insert(end + 1, meta);
  io::write_file_atomic(path, [&](std::ostream& out) { out << bytes; });
}

}  // namespace physcnn::viz

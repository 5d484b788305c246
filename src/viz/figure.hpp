// Shared pieces of every picture: colours and colour maps, "nice" axis ticks, and the Figure
// base class that renders one drawing routine to PNG or SVG (cairo) with atomic writes.
#pragma once

#include <string>
#include <vector>

struct _cairo;  // cairo_t, kept out of the public headers

namespace physcnn::viz {

struct Color {
  double r = 0, g = 0, b = 0, a = 1;
};

// Text for XML and HTML: & < > " replaced by their entities.
std::string xml_escape(const std::string& s);

// The qualitative palette used for series, one colour per index (wraps around).
Color palette_color(size_t index);

enum class ColorMap {
  Sequential,  // viridis-like, for counts and activations (low = dark blue, high = yellow)
  Diverging,   // blue - white - red, centred on zero, for weights of either sign
};
// t in [0,1] (clamped); for Diverging, 0.5 is white (zero).
Color map_color(ColorMap map, double t);

// Axis ticks at 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph labels",
// Graphics Gems 1990). The axis range [lo, hi] is widened to whole steps.
struct Ticks {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> values;  // lo, lo + step, ..., hi
  int decimals = 1;            // digits after the point that label every value exactly
};
// `target` is the wanted number of ticks (about; the result has 3 to 2*target).
// Throws UsageError when lo or hi is not finite. A zero-width range is widened around it.
Ticks nice_ticks(double lo, double hi, int target = 6);
// Decades (and 2, 5 within them when there are few decades) covering [lo, hi] (both > 0).
Ticks log_ticks(double lo, double hi);
// The label of one tick value, e.g. "0.25", "1e-3" for log axes.
std::string format_tick(double value, int decimals);

// A picture of a fixed size in pixels (PNG) or points (SVG) drawn by `draw`.
class Figure {
 public:
  Figure(int width, int height);
  virtual ~Figure() = default;

  int width() const { return width_; }
  int height() const { return height_; }
  // Both writes are atomic (temporary file + rename); IoError names the path on failure.
  void save_png(const std::string& path) const;
  void save_svg(const std::string& path) const;

 protected:
  virtual void draw(_cairo* cr) const = 0;
  // A title and the text shown in the picture. Cairo writes SVG text as glyph outlines, so
  // these go into the SVG's <title> and <desc> to keep it searchable and accessible.
  virtual std::string title() const = 0;
  virtual std::vector<std::string> text() const = 0;

 private:
  int width_, height_;
};

}  // namespace physcnn::viz

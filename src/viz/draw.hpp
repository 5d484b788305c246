// Internal drawing helpers on top of cairo shared by the plot types (not part of the API):
// fonts, aligned and rotated text, markers, error bars.
#pragma once

#include <cairo.h>

#include <string>

#include "viz/figure.hpp"

namespace physcnn::viz::detail {

// Text anchors: which point of the text's box lies at (x, y).
enum class HAlign { Left, Center, Right };
enum class VAlign { Top, Middle, Bottom };

void set_color(cairo_t* cr, Color c);
// DejaVu Sans (fonts-dejavu-core) when present; cairo falls back to any sans font.
void set_font(cairo_t* cr, double size, bool bold = false);
double text_width(cairo_t* cr, const std::string& s);
// Draws s in the current font and colour; `angle` in radians (−π/2 for a vertical y label).
void draw_text(cairo_t* cr, const std::string& s, double x, double y, HAlign h, VAlign v,
               double angle = 0);
void draw_marker(cairo_t* cr, double x, double y, double radius);
void draw_error_bar(cairo_t* cr, double x, double y_low, double y_high, double cap);
// A vertical colour bar in [x, x+w] × [y, y+h] with tick labels on the right.
void draw_color_bar(cairo_t* cr, ColorMap map, double lo, double hi, double x, double y, double w,
                    double h);

}  // namespace physcnn::viz::detail

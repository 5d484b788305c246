// ImageGrid layout and drawing: small arrays as rectangles (crisp pixels in SVG too), large
// ones as nearest-neighbour scaled images to keep SVG files small.
#include "viz/image_grid.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "core/error.hpp"
#include "viz/draw.hpp"

namespace physcnn::viz {

using detail::HAlign;
using detail::VAlign;

namespace {

constexpr int kMargin = 16, kTitle = 40, kCaption = 18, kGap = 10, kColorBar = 80;
// Up to this many pixels a panel is drawn as rectangles; above it as one scaled image.
constexpr int64_t kMaxRectPixels = 32 * 32;

int auto_columns(size_t n, int requested) {
  if (requested > 0) return requested;
  return std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)))));
}

int grid_rows(size_t n, int columns) {
  return static_cast<int>((n + columns - 1) / columns);
}

std::string with_shape(const std::string& name, const Shape& shape) {
  std::ostringstream os;
  os << name << " " << shape;
  return os.str();
}

}  // namespace

ImageGrid::ImageGrid(std::vector<ImagePanel> panels, ImageGridOptions options)
    : ImageGrid(panels, options, auto_columns(panels.size(), options.columns)) {}

ImageGrid::ImageGrid(const std::vector<ImagePanel>& panels, const ImageGridOptions& options,
                     int columns)
    : Figure(std::max(2 * kMargin + columns * (options.cell + kGap) + kColorBar, 240),
             2 * kMargin + kTitle +
                 std::max(1, grid_rows(panels.size(), columns)) * (options.cell + kCaption + kGap)),
      panels_(panels),
      options_(options),
      columns_(columns),
      rows_(grid_rows(panels_.size(), columns)) {
  PHYSCNN_CHECK_SHAPE(!panels_.empty(), "ImageGrid '", options_.title, "': no panels");
  PHYSCNN_CHECK_ARG(options_.cell >= 16, "ImageGrid: cell must be at least 16 pixels, got ",
                    options_.cell);
  for (const auto& p : panels_)
    PHYSCNN_CHECK_SHAPE(p.image.defined() && p.image.dim() == 2 && p.image.numel() > 0,
                        "ImageGrid '", options_.title, "': panel '", p.caption,
                        "' must be a non-empty 2-D array, got shape ",
                        p.image.defined() ? p.image.shape().str() : "undefined");
}

ImageGrid ImageGrid::filters(const std::string& layer_name, const Tensor& weight) {
  PHYSCNN_CHECK_SHAPE(weight.defined() && weight.dim() == 4, "ImageGrid::filters(", layer_name,
                      "): weight must be (OC, IC, KH, KW), got shape ",
                      weight.defined() ? weight.shape().str() : "undefined");
  const int64_t OC = weight.size(0), IC = weight.size(1);
  std::vector<ImagePanel> panels;
  for (int64_t o = 0; o < OC; ++o)
    for (int64_t i = 0; i < IC; ++i)
      panels.push_back({IC == 1 ? "out " + std::to_string(o)
                                : "out " + std::to_string(o) + ", in " + std::to_string(i),
                        weight.select(0, o).select(0, i)});
  return ImageGrid(std::move(panels), {.title = with_shape(layer_name, weight.shape()),
                                       .color_map = ColorMap::Diverging,
                                       .columns = IC == 1 ? 0 : static_cast<int>(IC),
                                       .cell = OC * IC > 256 ? 32 : 72});
}

ImageGrid ImageGrid::feature_maps(const std::string& layer_name, const Tensor& maps) {
  PHYSCNN_CHECK_SHAPE(maps.defined() && (maps.dim() == 3 || (maps.dim() == 4 && maps.size(0) == 1)),
                      "ImageGrid::feature_maps(", layer_name,
                      "): activations must be (C, H, W) or (1, C, H, W), got shape ",
                      maps.defined() ? maps.shape().str() : "undefined");
  const Tensor m = maps.dim() == 4 ? maps.select(0, 0) : maps;
  std::vector<ImagePanel> panels;
  for (int64_t c = 0; c < m.size(0); ++c)
    panels.push_back({"channel " + std::to_string(c), m.select(0, c)});
  return ImageGrid(std::move(panels), {.title = with_shape(layer_name, maps.shape()),
                                       .color_map = ColorMap::Sequential});
}

std::vector<std::string> ImageGrid::text() const {
  std::vector<std::string> t;
  for (const auto& p : panels_) t.push_back(p.caption);
  return t;
}

void ImageGrid::draw(cairo_t* cr) const {
  // One scale for all panels so that their colours compare.
  std::vector<std::vector<double>> data;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& p : panels_) {
    data.push_back(p.image.to_vector());
    for (double v : data.back())
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (options_.color_map == ColorMap::Diverging) {
    hi = std::max({std::abs(lo), std::abs(hi), 1e-12});
    lo = -hi;
  }
  if (hi == lo) hi = lo + 1;

  detail::set_color(cr, {0.1, 0.1, 0.1});
  detail::set_font(cr, 14, true);
  detail::draw_text(cr, options_.title, width() / 2.0, kMargin, HAlign::Center, VAlign::Top);

  const double cell = options_.cell;
  for (size_t k = 0; k < panels_.size(); ++k) {
    const int64_t H = panels_[k].image.size(0), W = panels_[k].image.size(1);
    const double x0 = kMargin + static_cast<double>(k % columns_) * (cell + kGap);
    const double y0 =
        kMargin + kTitle + static_cast<double>(k / columns_) * (cell + kCaption + kGap);
    const double s = cell / static_cast<double>(std::max(H, W));
    const auto& v = data[k];
    if (H * W <= kMaxRectPixels) {
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          detail::set_color(cr, map_color(options_.color_map, (v[i * W + j] - lo) / (hi - lo)));
          cairo_rectangle(cr, x0 + j * s, y0 + i * s, s + 0.3, s + 0.3);
          cairo_fill(cr);
        }
    } else {
      std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> img(
          cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(W), static_cast<int>(H)),
          cairo_surface_destroy);
      cairo_surface_flush(img.get());
      unsigned char* px = cairo_image_surface_get_data(img.get());
      const int stride = cairo_image_surface_get_stride(img.get());
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          const Color c = map_color(options_.color_map, (v[i * W + j] - lo) / (hi - lo));
          auto* p = reinterpret_cast<uint32_t*>(px + i * stride) + j;
          *p = (static_cast<uint32_t>(c.r * 255 + 0.5) << 16) |
               (static_cast<uint32_t>(c.g * 255 + 0.5) << 8) |
               static_cast<uint32_t>(c.b * 255 + 0.5);
        }
      cairo_surface_mark_dirty(img.get());
      cairo_save(cr);
      cairo_translate(cr, x0, y0);
      cairo_scale(cr, s, s);
      cairo_set_source_surface(cr, img.get(), 0, 0);
      cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
      cairo_rectangle(cr, 0, 0, static_cast<double>(W), static_cast<double>(H));
      cairo_fill(cr);
      cairo_restore(cr);
    }
    cairo_set_line_width(cr, 0.8);
    detail::set_color(cr, {0.5, 0.5, 0.5});
    cairo_rectangle(cr, x0, y0, W * s, H * s);
    cairo_stroke(cr);
    detail::set_color(cr, {0.1, 0.1, 0.1});
    detail::set_font(cr, 10);
    detail::draw_text(cr, panels_[k].caption, x0 + cell / 2, y0 + cell + 3, HAlign::Center,
                      VAlign::Top);
  }
  const double bar_x = kMargin + columns_ * (cell + kGap) + 6;
  const double bar_h = std::min(rows_ * (cell + kCaption + kGap) - kGap, 300.0);
  detail::draw_color_bar(cr, options_.color_map, lo, hi, bar_x, kMargin + kTitle, 14,
                         std::max(bar_h, 40.0));
}

}  // namespace physcnn::viz

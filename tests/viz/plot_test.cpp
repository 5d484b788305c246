// Tests of the plotting layer: nice ticks, PNG and SVG output of LinePlot, Heatmap, ImageGrid.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "viz/heatmap.hpp"
#include "viz/image_grid.hpp"
#include "viz/line_plot.hpp"
#include "viz_support.hpp"

namespace physcnn::viz {
namespace {

using test::read_file;
using test::read_png_info;
using test::ScratchDir;
using test::xml_problem;

// A value is "nice" when it is an integer multiple of 1, 2 or 5 times a power of ten.
bool is_nice_step(double step) {
  const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  return std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9;
}

TEST(NiceTicks, CoverRangeWithNiceSteps) {
  const std::vector<std::pair<double, double>> ranges{
      {0, 1},       {1.0, 3.5}, {-0.37, 0.81}, {0.0012, 0.0047}, {-2.0, -1.0},
      {2.26, 2.28}, {0, 1e6},   {-1234, 5678}, {0.5, 0.5}};
  for (auto [lo, hi] : ranges) {
    SCOPED_TRACE(::testing::Message() << "range [" << lo << ", " << hi << "]");
    const Ticks t = nice_ticks(lo, hi, 6);
    EXPECT_TRUE(is_nice_step(t.step)) << "step " << t.step;
    // Covers the range up to rounding (2.26 is 2.2599999999999998 in binary).
    EXPECT_LE(t.lo, lo + 1e-9 * t.step);
    EXPECT_GE(t.hi, hi - 1e-9 * t.step);
    ASSERT_GE(t.values.size(), 3u);
    EXPECT_LE(t.values.size(), 12u);
    EXPECT_DOUBLE_EQ(t.values.front(), t.lo);
    EXPECT_NEAR(t.values.back(), t.hi, 1e-9 * t.step);
    for (size_t i = 1; i < t.values.size(); ++i)
      EXPECT_NEAR(t.values[i] - t.values[i - 1], t.step, 1e-9 * t.step);
    // Every tick is a whole multiple of the step, so labels are short.
    for (double v : t.values) EXPECT_NEAR(v / t.step, std::round(v / t.step), 1e-6);
    // The axis is not widened by more than one step on each side.
    if (hi > lo) {
      EXPECT_LT((t.hi - t.lo) - (hi - lo), 2 * t.step + 1e-12);
    }
  }
}

TEST(NiceTicks, KnownExamples) {
  const Ticks a = nice_ticks(0, 1, 6);
  EXPECT_DOUBLE_EQ(a.step, 0.2);
  EXPECT_EQ(a.values.size(), 6u);
  EXPECT_EQ(a.decimals, 1);
  const Ticks b = nice_ticks(1.0, 3.5, 7);
  EXPECT_DOUBLE_EQ(b.step, 0.5);
  EXPECT_DOUBLE_EQ(b.lo, 1.0);
  EXPECT_DOUBLE_EQ(b.hi, 3.5);
  const Ticks c = nice_ticks(-0.3, 0.3, 7);
  EXPECT_DOUBLE_EQ(c.step, 0.1);
  EXPECT_EQ(format_tick(c.values[3], c.decimals), "0.0");  // not "-0.0"
  EXPECT_EQ(format_tick(0.25, 2), "0.25");
  EXPECT_EQ(format_tick(2.0, 0), "2");
}

TEST(NiceTicks, LogTicksAreDecades) {
  const Ticks t = log_ticks(0.003, 40);
  EXPECT_DOUBLE_EQ(t.lo, 1e-3);
  EXPECT_DOUBLE_EQ(t.hi, 1e2);
  EXPECT_EQ(t.values.size(), 6u);  // 1e-3 .. 1e2, no 2 and 5 over five decades
  const Ticks f = log_ticks(0.2, 7);
  EXPECT_EQ(f.values, (std::vector<double>{0.1, 0.2, 0.5, 1, 2, 5, 10}));
  EXPECT_THROW(log_ticks(0, 1), UsageError);
}

TEST(NiceTicks, RejectsNonFiniteRanges) {
  EXPECT_THROW(nice_ticks(0, NAN), UsageError);
  EXPECT_THROW(nice_ticks(-INFINITY, 1), UsageError);
}

LinePlot sample_plot() {
  LinePlot plot({.title = "Sample <plot> & test",
                 .x_label = "temperature T (J/k_B)",
                 .y_label = "P(ordered)"});
  std::vector<double> x, y, e, y2;
  for (int i = 0; i <= 20; ++i) {
    x.push_back(1 + 0.125 * i);
    y.push_back(1 / (1 + std::exp(4 * (x.back() - 2.27))));
    y2.push_back(1 / (1 + std::exp(8 * (x.back() - 2.27))));
    e.push_back(0.03);
  }
  plot.add({.label = "L = 8", .x = x, .y = y, .y_error = e});
  plot.add({.label = "L = 16", .x = x, .y = y2, .style = SeriesStyle::Markers});
  plot.add_reference({.value = 2.269185, .label = "Onsager T_c"});
  return plot;
}

TEST(LinePlot, WritesPngWithItsSize) {
  ScratchDir dir("lineplot_png");
  const LinePlot plot = sample_plot();
  plot.save_png(dir / "plot.png");
  const auto info = read_png_info(dir / "plot.png");
  EXPECT_TRUE(info.signature_ok);
  EXPECT_EQ(info.width, 800u);
  EXPECT_EQ(info.height, 500u);
  // A drawn plot compresses far worse than a blank page (~ 2 KB).
  EXPECT_GT(read_file(dir / "plot.png").size(), 10000u);
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(LinePlot, SvgIsWellFormedAndNamesItsText) {
  ScratchDir dir("lineplot_svg");
  sample_plot().save_svg(dir / "plot.svg");
  const std::string svg = read_file(dir / "plot.svg");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("<title>Sample &lt;plot&gt; &amp; test</title>"), std::string::npos);
  for (const char* s : {"temperature T (J/k_B)", "P(ordered)", "L = 8", "L = 16", "Onsager T_c"})
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  EXPECT_NE(svg.find("width=\"800"), std::string::npos);
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(LinePlot, LogYAndEmptyPlotsDraw) {
  ScratchDir dir("lineplot_log");
  LinePlot log_plot({.title = "loss", .x_label = "epoch", .y_label = "loss", .log_y = true});
  log_plot.add({.label = "train", .x = {1, 2, 3, 4}, .y = {2.0, 0.5, 0.01, 0.0}});  // 0 skipped
  log_plot.save_png(dir / "log.png");
  EXPECT_TRUE(read_png_info(dir / "log.png").signature_ok);
  LinePlot empty({.title = "nothing yet", .x_label = "x", .y_label = "y"});
  empty.save_svg(dir / "empty.svg");
  EXPECT_EQ(xml_problem(read_file(dir / "empty.svg")), "");
}

TEST(LinePlot, MismatchedSeriesThrowsShapeError) {
  LinePlot plot({.title = "t"});
  try {
    plot.add({.label = "L = 8", .x = {1, 2, 3}, .y = {1, 2}});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("L = 8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 x values but 2 y values"), std::string::npos) << msg;
  }
  EXPECT_THROW(plot.add({.x = {1, 2}, .y = {1, 2}, .y_error = {0.1}}), ShapeError);
}

TEST(Figure, WriteIntoMissingFolderThrowsIoErrorNamingIt) {
  try {
    sample_plot().save_png("/nonexistent_physcnn_dir/plot.png");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_physcnn_dir"), std::string::npos);
  }
}

TEST(Heatmap, ConfusionMatrixPngAndSvg) {
  ScratchDir dir("heatmap");
  Heatmap h({50, 3, 0, 2, 45, 6, 1, 4, 47}, 3, 3,
            {.title = "Confusion matrix",
             .x_label = "predicted class",
             .y_label = "true class",
             .row_labels = {"ordered", "critical", "disordered"},
             .col_labels = {"ordered", "critical", "disordered"}});
  h.save_png(dir / "cm.png");
  h.save_svg(dir / "cm.svg");
  const auto info = read_png_info(dir / "cm.png");
  EXPECT_TRUE(info.signature_ok);
  EXPECT_EQ(info.width, 640u);
  EXPECT_EQ(info.height, 560u);
  const std::string svg = read_file(dir / "cm.svg");
  EXPECT_EQ(xml_problem(svg), "");
  for (const char* s : {"predicted class", "true class", "disordered"})
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(Heatmap, WrongSizesThrow) {
  EXPECT_THROW(Heatmap({1, 2, 3}, 2, 2, {}), ShapeError);
  EXPECT_THROW(Heatmap({1, 2, 3, 4}, 2, 2, {.row_labels = {"a"}}), ShapeError);
}

TEST(ImageGrid, FiltersAndFeatureMaps) {
  ScratchDir dir("grid");
  Rng rng(7);
  const Tensor w = Tensor::normal(Shape{4, 2, 3, 3}, 0, 1, rng);
  const ImageGrid filters = ImageGrid::filters("features.0.weight", w);
  filters.save_png(dir / "filters.png");
  filters.save_svg(dir / "filters.svg");
  const auto info = read_png_info(dir / "filters.png");
  EXPECT_TRUE(info.signature_ok);
  EXPECT_EQ(static_cast<int>(info.width), filters.width());
  // 4 rows of panels, 2 columns (one per input channel): taller than wide apart from margins.
  EXPECT_GT(info.height, 4u * 72u);
  const std::string svg = read_file(dir / "filters.svg");
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("features.0.weight [4,2,3,3]"), std::string::npos) << svg.substr(0, 600);
  EXPECT_NE(svg.find("out 3, in 1"), std::string::npos);

  // Large maps go through the image path; a (1, C, H, W) batch of one is accepted.
  const Tensor maps = Tensor::uniform(Shape{1, 5, 40, 40}, 0, 3, rng);
  const ImageGrid fm = ImageGrid::feature_maps("features.1", maps);
  fm.save_png(dir / "maps.png");
  fm.save_svg(dir / "maps.svg");
  EXPECT_TRUE(read_png_info(dir / "maps.png").signature_ok);
  EXPECT_EQ(xml_problem(read_file(dir / "maps.svg")), "");
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(ImageGrid, BadShapesThrowShapeError) {
  Rng rng(1);
  EXPECT_THROW(ImageGrid::filters("w", Tensor::zeros(Shape{4, 3, 3})), ShapeError);
  EXPECT_THROW(ImageGrid::feature_maps("f", Tensor::zeros(Shape{2, 3, 4, 4})), ShapeError);
  EXPECT_THROW(ImageGrid({{"a", Tensor::zeros(Shape{2, 2, 2})}}, {}), ShapeError);
  EXPECT_THROW(ImageGrid({}, {}), ShapeError);
}

}  // namespace
}  // namespace physcnn::viz

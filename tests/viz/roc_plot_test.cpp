// The ROC plot: draws curves and the chance line to PNG and SVG, names the AUC, refuses points
// outside [0, 1] and curves whose lists differ in length.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "viz/roc_plot.hpp"
#include "viz_support.hpp"

using namespace physcnn;
using namespace physcnn::viz;

TEST(RocPlot, DrawsCurvesWithTheirAuc) {
  test::ScratchDir dir("roc_plot");
  const LinePlot plot = roc_plot({{.label = "cnn",
                                   .signal_efficiency = {0, 0.5, 0.9, 1},
                                   .background_efficiency = {0, 0.05, 0.4, 1},
                                   .auc = 0.8725},
                                  {.signal_efficiency = {0, 1}, .background_efficiency = {0, 1}}});
  ASSERT_EQ(plot.series().size(), 3u);  // two curves and the chance diagonal
  EXPECT_EQ(plot.series()[0].label, "cnn, AUC 0.8725");
  EXPECT_EQ(plot.series()[1].label, "AUC 0.0000");
  EXPECT_EQ(plot.series()[0].x, (std::vector<double>{0, 0.05, 0.4, 1}));
  EXPECT_EQ(plot.series()[2].label, "chance");
  plot.save_png(dir / "roc.png");
  const test::PngInfo png = test::read_png_info(dir / "roc.png");
  EXPECT_TRUE(png.signature_ok);
  EXPECT_EQ(png.width, 600u);
  plot.save_svg(dir / "roc.svg");
  EXPECT_NE(test::read_file(dir / "roc.svg").find("AUC 0.8725"), std::string::npos);
}

TEST(RocPlot, RefusesBadCurves) {
  EXPECT_THROW(roc_plot({{.signal_efficiency = {0, 1.5}, .background_efficiency = {0, 1}}}),
               UsageError);
  EXPECT_THROW(roc_plot({{.signal_efficiency = {0, 0.5, 1}, .background_efficiency = {0, 1}}}),
               ShapeError);
}

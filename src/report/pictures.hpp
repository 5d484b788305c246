// The report's pictures, one function each, shared by `physcnn report` and `physcnn show`:
// training curves, the confusion matrix, conv filters, feature maps, inputs, saliency and
// class-activation maps. Drawing itself is viz's; this file picks the data and the titles.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nn/inspect.hpp"
#include "report/run_data.hpp"
#include "viz/heatmap.hpp"
#include "viz/image_grid.hpp"
#include "viz/line_plot.hpp"

namespace physcnn::report {

// Writes a .png or an .svg by the path's extension (UsageError for any other).
void save_figure(const viz::Figure& figure, const std::string& path);

// Per-epoch curves; empty when the run has no such column yet.
std::optional<viz::LinePlot> loss_plot(const RunMetrics& m);  // train solid, validation dashed
std::optional<viz::LinePlot> metric_plot(const RunMetrics& m, const std::string& metric);
std::optional<viz::LinePlot> lr_plot(const RunMetrics& m);          // log axis over wide ranges
std::optional<viz::LinePlot> throughput_plot(const RunMetrics& m);  // images per second
// Counts, rows: true class, columns: predicted. ShapeError when there is no matrix.
viz::Heatmap confusion_plot(const EvalResults& e);

// A conv weight (OC, IC, KH, KW): the first max_out x max_in filters (one row per output
// channel, captions "o3 i0" when IC > 1), diverging map centred on zero, titled with the layer
// path and the full weight shape.
viz::ImageGrid filter_grid(const std::string& layer, const Tensor& weight, int64_t max_out = 16,
                           int64_t max_in = 8);
// One sample's output of a layer (C, H, W): the first max_channels channels.
viz::ImageGrid feature_grid(const std::string& layer, const std::string& type, const Tensor& maps,
                            int64_t max_channels = 16);
// Inputs (N, C, H, W), shown as the channel mean (sequential map).
viz::ImageGrid input_grid(const Tensor& x, const std::vector<std::string>& captions);
// Saliency (N, C, H, W) summed over channels, diverging map centred on zero.
viz::ImageGrid saliency_grid(const Tensor& saliency, const std::vector<std::string>& captions);
// CAM (diverging: positions may count against the class) or Grad-CAM (non-negative, sequential).
viz::ImageGrid cam_grid(const nn::ActivationMap& cam, const std::vector<std::string>& captions);

// "#0 true 3, pred 3" (class names when given), one per sample; labels may be empty.
std::vector<std::string> sample_captions(const std::vector<int64_t>& labels,
                                         const std::vector<int64_t>& predicted,
                                         const std::vector<std::string>& class_names);

}  // namespace physcnn::report

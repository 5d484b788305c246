// Picture builders of the run report: curves from metrics.json, the confusion heat map, and
// image grids of filters, feature maps, inputs, saliency and CAM with layer names and shapes.
#include "report/pictures.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "tensor/ops.hpp"

namespace physcnn::report {

namespace {

bool any_finite(const std::vector<double>* v) {
  return v && std::any_of(v->begin(), v->end(), [](double x) { return std::isfinite(x); });
}

std::string class_name(const std::vector<std::string>& names, int64_t c) {
  return c >= 0 && c < static_cast<int64_t>(names.size()) ? names[c] : std::to_string(c);
}

std::string shape_of(const Tensor& t) {
  return t.shape().str();
}

}  // namespace

void save_figure(const viz::Figure& figure, const std::string& path) {
  const auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".png"))
    figure.save_png(path);
  else if (ends(".svg"))
    figure.save_svg(path);
  else
    throw UsageError("save_figure: '" + path + "' must end in .png or .svg");
}

std::optional<viz::LinePlot> loss_plot(const RunMetrics& m) {
  const auto *train = m.column("train_loss"), *val = m.column("val_loss");
  if (!any_finite(train) && !any_finite(val)) return std::nullopt;
  viz::LinePlot plot({.title = "Loss per epoch: training (solid) and validation (dashed)",
                      .x_label = "epoch",
                      .y_label = m.task == "classification" ? "cross-entropy loss (nats)" : "loss",
                      .integer_x = true});
  if (any_finite(train)) plot.add({.label = "training", .x = m.epoch, .y = *train, .color = 0});
  if (any_finite(val))
    plot.add({.label = "validation", .x = m.epoch, .y = *val, .dashed = true, .color = 1});
  return plot;
}

std::optional<viz::LinePlot> metric_plot(const RunMetrics& m, const std::string& metric) {
  const auto *train = m.column("train_" + metric), *val = m.column("val_" + metric);
  if (!any_finite(train) && !any_finite(val)) return std::nullopt;
  const bool fraction = metric.find("accuracy") != std::string::npos;
  viz::LinePlot plot({.title = metric + " per epoch: training (solid) and validation (dashed)",
                      .x_label = "epoch",
                      .y_label = fraction ? metric + " (fraction correct)" : metric,
                      .integer_x = true});
  if (any_finite(train)) plot.add({.label = "training", .x = m.epoch, .y = *train, .color = 0});
  if (any_finite(val))
    plot.add({.label = "validation", .x = m.epoch, .y = *val, .dashed = true, .color = 1});
  return plot;
}

std::optional<viz::LinePlot> lr_plot(const RunMetrics& m) {
  const auto* lr = m.column("lr");
  if (!any_finite(lr)) return std::nullopt;
  double lo = INFINITY, hi = 0;
  for (double v : *lr)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  viz::LinePlot plot({.title = "Learning rate per epoch",
                      .x_label = "epoch",
                      .y_label = "learning rate (per step)",
                      .log_y = lo > 0 && hi / lo > 20,
                      .integer_x = true});
  plot.add({.label = "learning rate", .x = m.epoch, .y = *lr, .color = 2});
  return plot;
}

std::optional<viz::LinePlot> throughput_plot(const RunMetrics& m) {
  const auto* ips = m.column("images_per_second");
  if (!any_finite(ips)) return std::nullopt;
  viz::LinePlot plot({.title = "Training throughput per epoch",
                      .x_label = "epoch",
                      .y_label = "throughput (images/s)",
                      .integer_x = true,
                      .y_min = 0});
  plot.add({.label = "images per second", .x = m.epoch, .y = *ips, .color = 3});
  return plot;
}

viz::Heatmap confusion_plot(const EvalResults& e) {
  const int64_t C = static_cast<int64_t>(e.confusion.size());
  PHYSCNN_CHECK_SHAPE(C > 0, "confusion_plot: eval results have no confusion matrix");
  std::vector<double> values;
  for (const auto& row : e.confusion) values.insert(values.end(), row.begin(), row.end());
  std::vector<std::string> labels = e.class_names;
  if (labels.empty())
    for (int64_t c = 0; c < C; ++c) labels.push_back(std::to_string(c));
  const int side = static_cast<int>(std::clamp<int64_t>(200 + 48 * C, 480, 1000));
  return viz::Heatmap(std::move(values), C, C,
                      {.title = "Confusion matrix on the test set (counts)",
                       .x_label = "predicted class",
                       .y_label = "true class",
                       .row_labels = labels,
                       .col_labels = labels,
                       .show_values = C <= 20,
                       .width = side + 80,
                       .height = side});
}

viz::ImageGrid filter_grid(const std::string& layer, const Tensor& weight, int64_t max_out,
                           int64_t max_in) {
  PHYSCNN_CHECK_SHAPE(weight.defined() && weight.dim() == 4, "filter_grid(", layer,
                      "): weight must be (OC, IC, KH, KW), got shape ",
                      weight.defined() ? shape_of(weight) : "undefined");
  const int64_t OC = std::min(weight.size(0), max_out), IC = std::min(weight.size(1), max_in);
  std::vector<viz::ImagePanel> panels;
  for (int64_t o = 0; o < OC; ++o)
    for (int64_t i = 0; i < IC; ++i)
      panels.push_back({IC == 1 ? "out " + std::to_string(o)
                                : "o" + std::to_string(o) + " i" + std::to_string(i),
                        weight.select(0, o).select(0, i)});
  std::string title = layer + ".weight " + shape_of(weight);
  if (OC < weight.size(0) || IC < weight.size(1))
    title += ", first " + std::to_string(OC) + " x " + std::to_string(IC);
  return viz::ImageGrid(std::move(panels), {.title = title,
                                            .color_map = viz::ColorMap::Diverging,
                                            .columns = IC == 1 ? 0 : static_cast<int>(IC),
                                            .cell = OC * IC > 64 ? 40 : 64});
}

viz::ImageGrid feature_grid(const std::string& layer, const std::string& type, const Tensor& maps,
                            int64_t max_channels) {
  PHYSCNN_CHECK_SHAPE(maps.defined() && maps.dim() == 3, "feature_grid(", layer,
                      "): one sample's maps must be (C, H, W), got shape ",
                      maps.defined() ? shape_of(maps) : "undefined");
  const int64_t C = std::min(maps.size(0), max_channels);
  std::vector<viz::ImagePanel> panels;
  for (int64_t c = 0; c < C; ++c)
    panels.push_back({"channel " + std::to_string(c), maps.select(0, c)});
  std::string title = layer + " (" + type + ") output " + shape_of(maps);
  if (C < maps.size(0)) title += ", first " + std::to_string(C) + " channels";
  return viz::ImageGrid(std::move(panels), {.title = title,
                                            .color_map = viz::ColorMap::Sequential,
                                            // wide rows leave room for the title
                                            .columns = static_cast<int>(std::min<int64_t>(C, 8)),
                                            .cell = maps.size(1) >= 16 ? 96 : 64});
}

namespace {
viz::ImageGrid per_sample_grid(const Tensor& maps, const std::vector<std::string>& captions,
                               const std::string& title, viz::ColorMap color_map) {
  std::vector<viz::ImagePanel> panels;
  for (int64_t n = 0; n < maps.size(0); ++n)
    panels.push_back(
        {n < static_cast<int64_t>(captions.size()) ? captions[n] : "#" + std::to_string(n),
         maps.select(0, n)});
  return viz::ImageGrid(std::move(panels),
                        {.title = title,
                         .color_map = color_map,
                         .columns = static_cast<int>(std::min<int64_t>(maps.size(0), 4)),
                         .cell = 192});
}
}  // namespace

viz::ImageGrid input_grid(const Tensor& x, const std::vector<std::string>& captions) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() == 4,
                      "input_grid: inputs must be (N, C, H, W), got shape ",
                      x.defined() ? shape_of(x) : "undefined");
  const std::string title = "Inputs " + shape_of(x) + (x.size(1) > 1 ? ", channel mean" : "");
  return per_sample_grid(mean(x, {1}), captions, title, viz::ColorMap::Sequential);
}

viz::ImageGrid saliency_grid(const Tensor& saliency, const std::vector<std::string>& captions) {
  PHYSCNN_CHECK_SHAPE(saliency.defined() && saliency.dim() == 4,
                      "saliency_grid: saliency must be (N, C, H, W), got shape ",
                      saliency.defined() ? shape_of(saliency) : "undefined");
  return per_sample_grid(sum(saliency, {1}), captions,
                         "Saliency d(class score)/d(input) " + shape_of(saliency) +
                             (saliency.size(1) > 1 ? ", summed over channels" : "") +
                             "; red raises the score",
                         viz::ColorMap::Diverging);
}

viz::ImageGrid cam_grid(const nn::ActivationMap& cam, const std::vector<std::string>& captions) {
  PHYSCNN_CHECK_SHAPE(cam.map.defined() && cam.map.dim() == 3,
                      "cam_grid: the map must be (N, h, w), got shape ",
                      cam.map.defined() ? shape_of(cam.map) : "undefined");
  const bool signed_map = cam.method == "CAM";
  return per_sample_grid(cam.map, captions,
                         cam.method + " of " + cam.layer + " " + shape_of(cam.map) +
                             (signed_map ? ", share of the class score per position" : ""),
                         signed_map ? viz::ColorMap::Diverging : viz::ColorMap::Sequential);
}

std::vector<std::string> sample_captions(const std::vector<int64_t>& labels,
                                         const std::vector<int64_t>& predicted,
                                         const std::vector<std::string>& class_names) {
  std::vector<std::string> out;
  for (size_t n = 0; n < predicted.size(); ++n) {
    std::string c = "#" + std::to_string(n);
    if (n < labels.size()) c += " true " + class_name(class_names, labels[n]);
    if (n < labels.size() && predicted[n] >= 0) c += ",";
    if (predicted[n] >= 0) c += " pred " + class_name(class_names, predicted[n]);
    out.push_back(c);
  }
  return out;
}

}  // namespace physcnn::report

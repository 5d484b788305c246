// Reading the parts of a training run folder that the report shows: metrics.json (per-epoch
// curves), eval.json (test confusion matrix) and samples.npz (a few test inputs). Each reader
// throws IoError naming the file when it is unreadable or malformed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace physcnn::report {

// metrics.json: {"task", "class_names", "epochs": [{"epoch", "train_loss", "val_loss", "lr",
// "seconds", "images_per_second", "train_<metric>", "val_<metric>", ...}, ...]}.
struct RunMetrics {
  std::string task = "classification";
  std::vector<std::string> class_names;
  std::vector<double> epoch;
  // Every numeric per-epoch column by its key ("train_loss", "val_accuracy", "lr", ...); a
  // value missing in some epoch is NaN.
  std::map<std::string, std::vector<double>> columns;
  std::vector<std::string> metric_names() const;  // "accuracy", "mse": from train_*/val_* keys
  const std::vector<double>* column(const std::string& key) const;  // null when absent
};
RunMetrics read_run_metrics(const std::string& path);

// eval.json: {"confusion_matrix" (or "confusion"): [[...], ...] (rows: true class, columns:
// predicted), "class_names",
// and any top-level numbers ("accuracy", "loss", ...)}. Precision and recall per class are
// computed from the confusion matrix, so they always agree with it.
struct EvalResults {
  std::vector<std::vector<double>> confusion;
  std::vector<std::string> class_names;
  std::vector<std::pair<std::string, double>> scalars;
  // Binary classifiers: "roc": {"signal_efficiency": [...], "background_efficiency": [...]}.
  std::vector<double> roc_signal, roc_background;
  double precision(size_t c) const;  // NaN when the class was never predicted
  double recall(size_t c) const;     // NaN when the class never occurs
};
EvalResults read_eval(const std::string& path);

// samples.npz: x float (n, C, H, W), y integer (n) (optional).
struct Samples {
  Tensor x;                // float32
  std::vector<int64_t> y;  // empty when the archive has no y
};
Samples read_samples(const std::string& path);

// The folder's own name, also for "runs/x/" and ".".
std::string run_name(const std::string& run_dir);

}  // namespace physcnn::report

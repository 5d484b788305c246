// The run folder of `physcnn train` (read by the report and by `physcnn eval`):
//   experiment.toml, model.toml, summary.txt, metrics.csv + metrics.json (rewritten atomically
//   after every epoch), eval.json, model.safetensors, checkpoints/, samples.npz, and RUNNING
//   while training (removed at the end, also on error).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/transforms.hpp"
#include "nn/module.hpp"
#include "train/loop.hpp"

namespace physcnn::train {

// Creates the folder and checkpoints/, and the RUNNING marker; the destructor removes the
// marker (normal end, exception or early stop).
class RunDir {
 public:
  explicit RunDir(std::string path);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path/name
  std::string checkpoints() const { return file("checkpoints"); }

 private:
  std::string path_;
};

void write_text_atomic(const std::string& path, const std::string& text);

// metrics.csv (columns epoch, train_loss, train_<metric>..., val_loss, val_<metric>..., lr,
// seconds, images_per_second) and metrics.json ({"task", "class_names", "epochs": [...]}).
void write_metrics(const std::string& run_dir, const std::vector<EpochRecord>& history,
                   LossKind loss, int64_t top_k, const std::vector<std::string>& class_names);
// eval.json: loss, metrics, and for classification the confusion matrix (rows: true class)
// and per-class precision/recall/F1/support with class names.
std::string eval_json(const Evaluation& ev, LossKind loss, const std::vector<std::string>& names,
                      const std::string& split);
// samples.npz: x float32 (n, C, H, W), the model's inputs (evaluation transform applied), and
// y int64 labels (float32 targets for regression), from the first n samples of `set`.
void write_samples(const std::string& path, const data::Dataset& set,
                   const data::Transform& transform, int64_t n = 8);

// Weights with the normalisation statistics in the metadata ("normalization": JSON).
void save_model(const std::string& path, const nn::Module& model,
                const std::optional<data::ChannelStats>& stats);
// Loads weights into `model`; returns the statistics saved with them, if any.
std::optional<data::ChannelStats> load_model(const std::string& path, nn::Module& model);

// Class names for display: given ones, else "0", "1", ...
std::vector<std::string> class_labels(const std::vector<std::string>& names, int64_t classes);

}  // namespace physcnn::train

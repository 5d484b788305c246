// The run folder of `physcnn train` (read by the report and by `physcnn eval`):
//   experiment.toml, model.toml, summary.txt, metrics.csv + metrics.json (rewritten atomically
//   after every epoch), eval.json, model.safetensors, checkpoints/, samples.npz, and RUNNING
//   while training (removed at the end, also on error; it names the process).
// Every file is written to NAME.tmp.PID and renamed into place, so a kill at any moment leaves
// each final-named file whole (the old version or the new one); the temporaries of dead
// processes are removed when the next run opens the folder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/transforms.hpp"
#include "nn/module.hpp"
#include "train/loop.hpp"
#include "train/run_lock.hpp"

namespace physcnn::train {

// UsageError when `folder` already holds a run (metrics.csv or checkpoints/last.safetensors),
// suggesting --resume, another --out or --force.
void refuse_existing_run(const std::string& folder);

// Creates the folder and checkpoints/ and locks the folder (or takes the lock given, taken
// before the folder was read); refuses a folder holding a run unless `may_hold_run` (resume,
// --force); notes a RUNNING marker left by a run that was killed, removes the temporaries of
// dead processes, and writes RUNNING. The destructor removes the marker (normal end, exception
// or early stop), then releases the lock.
class RunDir {
 public:
  explicit RunDir(std::string path, bool may_hold_run = true,
                  std::optional<RunLock> lock = std::nullopt);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path/name
  std::string checkpoints() const { return file("checkpoints"); }
  // The PID of a run that left its RUNNING marker (killed or crashed), 0 if none did; -1 when
  // the marker does not name one (written before markers did).
  long killed_run() const { return killed_run_; }
  // Temporary files of dead processes removed from the folder, checkpoints/ and report/.
  const std::vector<std::string>& removed_temporaries() const { return removed_; }

 private:
  std::optional<RunLock> lock_;  // first member: released last
  std::string path_;
  long killed_run_ = 0;
  std::vector<std::string> removed_;
};

void write_text_atomic(const std::string& path, const std::string& text);

// metrics.csv (columns epoch, train_loss, train_<metric>..., val_loss, val_<metric>..., lr,
// seconds, images_per_second) and metrics.json ({"task", "class_names", "epochs": [...]}).
void write_metrics(const std::string& run_dir, const std::vector<EpochRecord>& history,
                   LossKind loss, int64_t top_k, const std::vector<std::string>& class_names,
                   const std::string& metric_set = "");
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

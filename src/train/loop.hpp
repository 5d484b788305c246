// The one trainer: epochs of train_step over a data::DataLoader (files, or tensors in memory as
// a data::TensorDataset); per-epoch training and validation loss and metrics, early stopping,
// plateau/epoch/step schedules, checkpoints every N epochs and of the best epoch, exact resume,
// and a stop with NumericalError at the first non-finite loss or gradient (the last good
// checkpoint stays on disk).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/loader.hpp"
#include "dist/comm.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/evaluation.hpp"
#include "train/grad_sync.hpp"
#include "train/losses.hpp"

namespace physcnn::train {

struct EarlyStoppingOptions {
  bool enabled = false;
  std::string monitor = "val_loss";  // any logged value: val_loss, val_accuracy, train_loss, ...
  int patience = 5;                  // epochs without improvement before stopping
  double min_delta = 0.0;            // an improvement must exceed this
  bool restore_best = true;          // put the best epoch's weights back at the end
};

struct TrainerOptions {
  int epochs = 10;
  LossKind loss = LossKind::CrossEntropy;
  int64_t top_k = 5;
  std::string metric_set;          // "" or a train/metric_sets.hpp name, logged per epoch
  double clip_grad_norm = 0.0;     // 0: off
  bool schedule_per_step = false;  // step the schedule after every batch instead of epoch
  uint64_t seed = 0;               // dropout masks: one stream per (seed, epoch, layer)
  EarlyStoppingOptions early_stopping;
  // Checkpoints (empty dir: none): checkpoints/last.safetensors every `checkpoint_every` epochs
  // and checkpoints/best.safetensors whenever `monitor` improves.
  std::string checkpoint_dir;
  int checkpoint_every = 1;
  bool checkpoint_best = true;
  std::string monitor = "val_loss";  // best epoch (also early stopping's when it is on)
  bool quiet = false;
  std::string label = "train";
  // Data parallel over the ranks of `comm` (docs/mpi.md): the loaders passed to fit() build each
  // rank's block of every global batch (LoaderOptions::rank, ranks); gradients are averaged with
  // GradientSync, training and validation metrics summed over the ranks, and only rank 0 writes
  // checkpoints and prints. Null or one rank: a single process.
  const dist::Comm* comm = nullptr;
  // Batch norm with the statistics of the global batch (summed over the ranks in forward and
  // backward), so that N ranks train as one process would; off: each rank normalises its own
  // block, and the running statistics are averaged over the ranks after every epoch.
  bool sync_batch_norm = false;
  GradSyncOptions grad_sync;
};

// One epoch's logged values. values holds train_loss, train_<metric>..., val_loss,
// val_<metric>... (the val_ ones only with a validation set).
struct EpochRecord {
  int epoch = 0;
  std::map<std::string, double> values;
  double lr = 0, seconds = 0, images_per_second = 0;
  bool overfitting = false;                     // validation loss rose while training loss fell
  double value(const std::string& name) const;  // UsageError naming the known keys
};

// A run stopped on request (SIGINT/SIGTERM): exit code 130, as a shell reports Ctrl-C.
class Interrupted : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 130; }
};

class Trainer {
 public:
  // The references must outlive the trainer; scheduler may be null.
  Trainer(nn::Module& model, optim::Optimizer& optimizer, optim::LrScheduler* scheduler,
          TrainerOptions options);

  // Trains from the current epoch to options.epochs; returns the whole history (resumed epochs
  // included). validation may be null (then val_ monitors are a UsageError).
  const std::vector<EpochRecord>& fit(data::DataLoader& train, data::DataLoader* validation);

  // Continues from a checkpoint written by a trainer over the same model, optimizer and
  // schedule: weights, buffers, optimizer and schedule state, epoch, step, history and the
  // early-stopping state. With the same seed and thread count, the resumed run's losses equal
  // those of an uninterrupted one bit for bit.
  void resume(const std::string& checkpoint_path);
  // Writes the full training state atomically (temp file + rename).
  void save_checkpoint(const std::string& path) const;

  const std::vector<EpochRecord>& history() const { return history_; }
  int epochs_done() const { return epoch_; }
  int64_t steps_done() const { return step_; }
  bool stopped_early() const { return stopped_early_; }
  int best_epoch() const { return best_epoch_; }
  double best_value() const { return best_; }
  // The data-parallel gradient exchange (its overlap figures), null in a single process or
  // before fit().
  const GradientSync* gradient_sync() const { return sync_.get(); }

  // Called after each epoch's record is complete and its checkpoints are written.
  std::function<void(const EpochRecord&)> on_epoch;
  // Called after every optimizer step with the global step number (tests, live views).
  std::function<void(int64_t step)> on_step;
  // Polled after every step; true stops with Interrupted (Ctrl-C in the command). The last
  // checkpoint is kept; a resumed run repeats the interrupted epoch from its start.
  std::function<bool()> should_stop;

 private:
  EpochRecord run_epoch(data::DataLoader& train, data::DataLoader* validation);
  void reseed_dropout(int epoch);
  bool improves(const std::string& monitor, double value, double best, double min_delta) const;
  std::string checkpoint_note() const;  // where the last good checkpoint is, for errors
  const dist::Comm* ranks() const;      // the communicator when distributed, else null
  bool writes() const;                  // this rank writes files and prints (rank 0)
  bool stop_requested() const;          // should_stop, agreed over the ranks

  nn::Module& model_;
  optim::Optimizer& optimizer_;
  optim::LrScheduler* scheduler_;
  TrainerOptions options_;
  std::vector<EpochRecord> history_;
  int epoch_ = 0;                                           // epochs completed
  int64_t step_ = 0;                                        // optimizer steps completed
  double best_ = std::numeric_limits<double>::quiet_NaN();  // best monitored value so far
  int best_epoch_ = 0;
  int wait_ = 0;  // epochs since the last improvement (early stopping)
  int last_checkpoint_epoch_ = 0;
  bool stopped_early_ = false;
  nn::StateDict best_weights_;  // clone of the best epoch's state (restore_best)
  std::unique_ptr<GradientSync> sync_;
};

}  // namespace physcnn::train

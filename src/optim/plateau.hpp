// ReduceLrOnPlateau: lowers the lr when a monitored metric (validation loss, accuracy) stops
// improving, as torch.optim.lr_scheduler.ReduceLROnPlateau in PyTorch 1.13.
#pragma once

#include "optim/scheduler.hpp"

namespace physcnn::optim {

enum class PlateauMode { Min, Max };    // whether lower or higher metric values are better
enum class ThresholdMode { Rel, Abs };  // improvement measured relative to best, or absolute

struct ReduceLrOnPlateauOptions {
  PlateauMode mode = PlateauMode::Min;
  double factor = 0.1;    // new lr = max(lr * factor, min_lr); must be < 1
  int64_t patience = 10;  // bad epochs tolerated before reducing
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::Rel;
  int64_t cooldown = 0;  // epochs after a reduction during which bad epochs are not counted
  double min_lr = 0.0;
  double eps = 1e-8;  // reductions smaller than this are skipped
};

// A metric a improves on best when (Min, Rel) a < best * (1 - threshold), (Min, Abs)
// a < best - threshold, (Max, Rel) a > best * (1 + threshold), (Max, Abs) a > best + threshold.
// After more than `patience` consecutive epochs without improvement the lr is reduced and the
// cooldown starts. A NaN metric never improves. State: scalars "last_epoch", "best",
// "num_bad_epochs", "cooldown_counter" (best starts at +-infinity); the lr itself is the
// optimizer's state.
class ReduceLrOnPlateau : public LrScheduler {
 public:
  ReduceLrOnPlateau(Optimizer& optimizer, const ReduceLrOnPlateauOptions& options = {});

  void step(double metric) override;
  // Without a metric: a UsageError (there is nothing to judge the epoch by).
  void step() override;
  bool needs_metric() const override { return true; }

  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }

  State state() const override;
  void load_state(const State& state) override;

 private:
  bool is_better(double a) const;
  ReduceLrOnPlateauOptions options_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace physcnn::optim

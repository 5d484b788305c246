// Learning-rate schedules. step() advances one unit — an epoch or a batch, as the caller
// chooses — and sets the optimizer's lr; every count in the options is in those units. The
// epoch schedules use PyTorch 1.13's closed forms (_get_closed_form_lr), measured from the lr
// the optimizer had when the schedule was built (PyTorch's initial_lr). The schedule keeps a
// reference to the optimizer, which must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "optim/optimizer.hpp"

namespace physcnn::optim {

class LrScheduler {
 public:
  virtual ~LrScheduler() = default;
  LrScheduler(const LrScheduler&) = delete;
  LrScheduler& operator=(const LrScheduler&) = delete;

  // Advances one epoch (or batch) and updates the optimizer's lr.
  virtual void step() = 0;
  // Same, for schedules driven by a metric (ReduceLrOnPlateau); others ignore the metric, so
  // a training loop can call step(validation_loss) on any schedule.
  virtual void step(double metric) {
    (void)metric;
    step();
  }
  virtual bool needs_metric() const { return false; }

  double lr() const { return optimizer_.lr(); }
  // Number of step() calls so far (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }

  const std::string& name() const { return name_; }

  virtual State state() const = 0;
  virtual void load_state(const State& state) = 0;

 protected:
  LrScheduler(Optimizer& optimizer, std::string name)
      : optimizer_(optimizer), name_(std::move(name)) {}
  Optimizer& optimizer_;
  std::string name_;  // for error messages
  int64_t last_epoch_ = 0;
};

// A schedule given by a closed form lr(epoch); construction sets lr(0).
// State: scalars "last_epoch" and "base_lr"; loading also sets the optimizer's lr.
class EpochLrScheduler : public LrScheduler {
 public:
  void step() override;
  using LrScheduler::step;
  double base_lr() const { return base_lr_; }
  // The lr this schedule gives at an epoch (no side effects).
  virtual double lr_at(int64_t epoch) const = 0;
  State state() const override;
  void load_state(const State& state) override;

 protected:
  EpochLrScheduler(Optimizer& optimizer, std::string name);
  // Derived constructors call this once their options are set.
  void start() { optimizer_.set_lr(lr_at(0)); }
  double base_lr_;
};

// base_lr * gamma^floor(epoch / step_size)   (torch.optim.lr_scheduler.StepLR)
struct StepLrOptions {
  int64_t step_size = 1;
  double gamma = 0.1;
};
class StepLr : public EpochLrScheduler {
 public:
  StepLr(Optimizer& optimizer, const StepLrOptions& options);
  double lr_at(int64_t epoch) const override;

 private:
  StepLrOptions options_;
};

// base_lr * gamma^(number of milestones <= epoch)   (MultiStepLR; repeated milestones count
// twice, as PyTorch's Counter does)
struct MultiStepLrOptions {
  std::vector<int64_t> milestones;
  double gamma = 0.1;
};
class MultiStepLr : public EpochLrScheduler {
 public:
  MultiStepLr(Optimizer& optimizer, const MultiStepLrOptions& options);
  double lr_at(int64_t epoch) const override;

 private:
  MultiStepLrOptions options_;  // milestones sorted
};

// base_lr * gamma^epoch   (ExponentialLR)
struct ExponentialLrOptions {
  double gamma = 0.95;
};
class ExponentialLr : public EpochLrScheduler {
 public:
  ExponentialLr(Optimizer& optimizer, const ExponentialLrOptions& options);
  double lr_at(int64_t epoch) const override;

 private:
  ExponentialLrOptions options_;
};

// eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2   (CosineAnnealingLR's
// closed form; past t_max it rises again with period 2 * t_max, as PyTorch's does)
struct CosineAnnealingLrOptions {
  int64_t t_max = 1;
  double eta_min = 0.0;
};
class CosineAnnealingLr : public EpochLrScheduler {
 public:
  CosineAnnealingLr(Optimizer& optimizer, const CosineAnnealingLrOptions& options);
  double lr_at(int64_t epoch) const override;

 private:
  CosineAnnealingLrOptions options_;
};

// Linear warm-up followed by cosine annealing. Matches, in PyTorch 1.13,
//   SequentialLR(opt, [LinearLR(opt, start_factor, end_factor=1.0, total_iters=W),
//                      CosineAnnealingLR(opt, T_max=total_epochs - W, eta_min)],
//                milestones=[W])
// i.e. for epoch e < W: base_lr * (start_factor + (1 - start_factor) * e / W),
//      for e >= W:      the cosine closed form at e - W with t_max = total_epochs - W.
// The lr reaches base_lr at epoch W and eta_min at total_epochs. warmup_epochs = 0 is plain
// cosine annealing.
struct WarmupCosineLrOptions {
  int64_t warmup_epochs = 5;
  int64_t total_epochs = 100;
  double start_factor = 1.0 / 3.0;  // LinearLR's default
  double eta_min = 0.0;
};
class WarmupCosineLr : public EpochLrScheduler {
 public:
  WarmupCosineLr(Optimizer& optimizer, const WarmupCosineLrOptions& options);
  double lr_at(int64_t epoch) const override;

 private:
  WarmupCosineLrOptions options_;
};

}  // namespace physcnn::optim

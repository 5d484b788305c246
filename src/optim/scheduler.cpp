// The epoch schedules' closed forms, option checks, and state save/restore.
#include "optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace physcnn::optim {

namespace {
double scalar_or_throw(const State& s, const std::string& key, const char* who) {
  auto it = s.scalars.find(key);
  PHYSCNN_CHECK_ARG(it != s.scalars.end(), who, ".load_state: the state has no '", key, "'");
  return it->second;
}

int64_t epoch_or_throw(const State& s, const char* who) {
  const double e = scalar_or_throw(s, "last_epoch", who);
  PHYSCNN_CHECK_ARG(e >= 0 && e <= 9.007199254740992e15 && e == std::floor(e), who,
                    ".load_state: 'last_epoch' must be an integer >= 0, got ", e);
  return static_cast<int64_t>(e);
}

double cosine(double base_lr, double eta_min, int64_t epoch, int64_t t_max) {
  return eta_min + (base_lr - eta_min) *
                       (1.0 + std::cos(std::numbers::pi * static_cast<double>(epoch) /
                                       static_cast<double>(t_max))) /
                       2.0;
}
}  // namespace

// --- EpochLrScheduler ------------------------------------------------------------------------

EpochLrScheduler::EpochLrScheduler(Optimizer& optimizer, std::string name)
    : LrScheduler(optimizer, std::move(name)), base_lr_(optimizer.lr()) {}

void EpochLrScheduler::step() {
  ++last_epoch_;
  optimizer_.set_lr(lr_at(last_epoch_));
}

State EpochLrScheduler::state() const {
  State s;
  s.scalars["last_epoch"] = static_cast<double>(last_epoch_);
  s.scalars["base_lr"] = base_lr_;
  return s;
}

void EpochLrScheduler::load_state(const State& s) {
  const char* who = name_.c_str();
  const int64_t epoch = epoch_or_throw(s, who);
  const double base = scalar_or_throw(s, "base_lr", who);
  PHYSCNN_CHECK_ARG(std::isfinite(base) && base >= 0.0, who,
                    ".load_state: 'base_lr' must be finite and >= 0, got ", base);
  PHYSCNN_CHECK_ARG(s.scalars.size() == 2 && s.tensors.empty(), who,
                    ".load_state: expected only 'last_epoch' and 'base_lr', got ", s.scalars.size(),
                    " scalars and ", s.tensors.size(), " tensors");
  last_epoch_ = epoch;
  base_lr_ = base;
  optimizer_.set_lr(lr_at(last_epoch_));
}

// --- StepLr ----------------------------------------------------------------------------------

StepLr::StepLr(Optimizer& optimizer, const StepLrOptions& options)
    : EpochLrScheduler(optimizer, "StepLr"), options_(options) {
  PHYSCNN_CHECK_ARG(options.step_size >= 1, "StepLr: step_size must be >= 1, got ",
                    options.step_size);
  PHYSCNN_CHECK_ARG(std::isfinite(options.gamma) && options.gamma >= 0.0,
                    "StepLr: gamma must be finite and >= 0, got ", options.gamma);
  start();
}

double StepLr::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(options_.gamma, static_cast<double>(epoch / options_.step_size));
}

// --- MultiStepLr -----------------------------------------------------------------------------

MultiStepLr::MultiStepLr(Optimizer& optimizer, const MultiStepLrOptions& options)
    : EpochLrScheduler(optimizer, "MultiStepLr"), options_(options) {
  for (int64_t m : options.milestones)
    PHYSCNN_CHECK_ARG(m >= 0, "MultiStepLr: milestones must be >= 0, got ", m);
  PHYSCNN_CHECK_ARG(std::isfinite(options.gamma) && options.gamma >= 0.0,
                    "MultiStepLr: gamma must be finite and >= 0, got ", options.gamma);
  std::sort(options_.milestones.begin(), options_.milestones.end());
  start();
}

double MultiStepLr::lr_at(int64_t epoch) const {
  const auto passed = std::upper_bound(options_.milestones.begin(), options_.milestones.end(),
                                       epoch) -
                      options_.milestones.begin();  // PyTorch's bisect_right
  return base_lr_ * std::pow(options_.gamma, static_cast<double>(passed));
}

// --- ExponentialLr ---------------------------------------------------------------------------

ExponentialLr::ExponentialLr(Optimizer& optimizer, const ExponentialLrOptions& options)
    : EpochLrScheduler(optimizer, "ExponentialLr"), options_(options) {
  PHYSCNN_CHECK_ARG(std::isfinite(options.gamma) && options.gamma >= 0.0,
                    "ExponentialLr: gamma must be finite and >= 0, got ", options.gamma);
  start();
}

double ExponentialLr::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(options_.gamma, static_cast<double>(epoch));
}

// --- CosineAnnealingLr -----------------------------------------------------------------------

CosineAnnealingLr::CosineAnnealingLr(Optimizer& optimizer, const CosineAnnealingLrOptions& options)
    : EpochLrScheduler(optimizer, "CosineAnnealingLr"), options_(options) {
  PHYSCNN_CHECK_ARG(options.t_max >= 1, "CosineAnnealingLr: t_max must be >= 1, got ",
                    options.t_max);
  PHYSCNN_CHECK_ARG(std::isfinite(options.eta_min) && options.eta_min >= 0.0,
                    "CosineAnnealingLr: eta_min must be finite and >= 0, got ", options.eta_min);
  start();
}

double CosineAnnealingLr::lr_at(int64_t epoch) const {
  return cosine(base_lr_, options_.eta_min, epoch, options_.t_max);
}

// --- WarmupCosineLr --------------------------------------------------------------------------

WarmupCosineLr::WarmupCosineLr(Optimizer& optimizer, const WarmupCosineLrOptions& options)
    : EpochLrScheduler(optimizer, "WarmupCosineLr"), options_(options) {
  PHYSCNN_CHECK_ARG(options.warmup_epochs >= 0, "WarmupCosineLr: warmup_epochs must be >= 0, got ",
                    options.warmup_epochs);
  PHYSCNN_CHECK_ARG(options.total_epochs > options.warmup_epochs,
                    "WarmupCosineLr: total_epochs must exceed warmup_epochs, got total_epochs ",
                    options.total_epochs, " and warmup_epochs ", options.warmup_epochs);
  // start_factor 0 would make PyTorch's chained LinearLR divide by zero at epoch 1.
  PHYSCNN_CHECK_ARG(options.start_factor > 0.0 && options.start_factor <= 1.0,
                    "WarmupCosineLr: start_factor must be in (0, 1], got ", options.start_factor);
  PHYSCNN_CHECK_ARG(std::isfinite(options.eta_min) && options.eta_min >= 0.0,
                    "WarmupCosineLr: eta_min must be finite and >= 0, got ", options.eta_min);
  start();
}

double WarmupCosineLr::lr_at(int64_t epoch) const {
  const int64_t w = options_.warmup_epochs;
  if (epoch < w) {
    const double f = options_.start_factor;
    return base_lr_ * (f + (1.0 - f) * static_cast<double>(epoch) / static_cast<double>(w));
  }
  return cosine(base_lr_, options_.eta_min, epoch - w, options_.total_epochs - w);
}

}  // namespace physcnn::optim

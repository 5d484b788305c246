// ReduceLrOnPlateau: the improvement test, the patience/cooldown counters and their state.
#include "optim/plateau.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace physcnn::optim {

namespace {
double worst(PlateauMode mode) {
  const double inf = std::numeric_limits<double>::infinity();
  return mode == PlateauMode::Min ? inf : -inf;
}

double scalar(const State& s, const std::string& key) {
  auto it = s.scalars.find(key);
  PHYSCNN_CHECK_ARG(it != s.scalars.end(), "ReduceLrOnPlateau.load_state: the state has no '", key,
                    "'");
  return it->second;
}

int64_t counter(const State& s, const std::string& key) {
  const double v = scalar(s, key);
  PHYSCNN_CHECK_ARG(v >= 0 && v <= 9.007199254740992e15 && v == std::floor(v),
                    "ReduceLrOnPlateau.load_state: '", key, "' must be an integer >= 0, got ", v);
  return static_cast<int64_t>(v);
}
}  // namespace

ReduceLrOnPlateau::ReduceLrOnPlateau(Optimizer& optimizer, const ReduceLrOnPlateauOptions& options)
    : LrScheduler(optimizer, "ReduceLrOnPlateau"), options_(options), best_(worst(options.mode)) {
  const auto& o = options;
  PHYSCNN_CHECK_ARG(o.factor >= 0.0 && o.factor < 1.0,
                    "ReduceLrOnPlateau: factor must be in [0, 1), got ", o.factor);
  PHYSCNN_CHECK_ARG(o.patience >= 0, "ReduceLrOnPlateau: patience must be >= 0, got ", o.patience);
  PHYSCNN_CHECK_ARG(std::isfinite(o.threshold) && o.threshold >= 0.0,
                    "ReduceLrOnPlateau: threshold must be finite and >= 0, got ", o.threshold);
  PHYSCNN_CHECK_ARG(o.cooldown >= 0, "ReduceLrOnPlateau: cooldown must be >= 0, got ", o.cooldown);
  PHYSCNN_CHECK_ARG(std::isfinite(o.min_lr) && o.min_lr >= 0.0,
                    "ReduceLrOnPlateau: min_lr must be finite and >= 0, got ", o.min_lr);
  PHYSCNN_CHECK_ARG(std::isfinite(o.eps) && o.eps >= 0.0,
                    "ReduceLrOnPlateau: eps must be finite and >= 0, got ", o.eps);
}

bool ReduceLrOnPlateau::is_better(double a) const {
  const double t = options_.threshold;
  const bool rel = options_.threshold_mode == ThresholdMode::Rel;
  if (options_.mode == PlateauMode::Min) return rel ? a < best_ * (1.0 - t) : a < best_ - t;
  return rel ? a > best_ * (t + 1.0) : a > best_ + t;
}

void ReduceLrOnPlateau::step() {
  throw UsageError("ReduceLrOnPlateau.step: needs the monitored metric, call step(metric)");
}

void ReduceLrOnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during the cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    const double old_lr = optimizer_.lr();
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr > options_.eps) optimizer_.set_lr(new_lr);
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
}

State ReduceLrOnPlateau::state() const {
  State s;
  s.scalars["last_epoch"] = static_cast<double>(last_epoch_);
  s.scalars["best"] = best_;
  s.scalars["num_bad_epochs"] = static_cast<double>(num_bad_epochs_);
  s.scalars["cooldown_counter"] = static_cast<double>(cooldown_counter_);
  return s;
}

void ReduceLrOnPlateau::load_state(const State& s) {
  const int64_t epoch = counter(s, "last_epoch");
  const double best = scalar(s, "best");
  const int64_t bad = counter(s, "num_bad_epochs");
  const int64_t cool = counter(s, "cooldown_counter");
  PHYSCNN_CHECK_ARG(!std::isnan(best), "ReduceLrOnPlateau.load_state: 'best' is NaN");
  PHYSCNN_CHECK_ARG(s.scalars.size() == 4 && s.tensors.empty(),
                    "ReduceLrOnPlateau.load_state: expected only last_epoch, best, "
                    "num_bad_epochs and cooldown_counter, got ",
                    s.scalars.size(), " scalars and ", s.tensors.size(), " tensors");
  last_epoch_ = epoch;
  best_ = best;
  num_bad_epochs_ = bad;
  cooldown_counter_ = cool;
}

}  // namespace physcnn::optim

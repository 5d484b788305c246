// The DataLoader training loop: epochs, validation, callbacks, checkpoints and exact resume.
#include "train/loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "autograd/functional.hpp"
#include "io/toml_util.hpp"
#include "nn/layers.hpp"
#include "optim/clip.hpp"
#include "tensor/ops.hpp"
#include "train/checkpoint.hpp"
#include "train/progress.hpp"
#include "train/step.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;
namespace fs = std::filesystem;

// --- losses ---------------------------------------------------------------------------------

LossKind parse_loss(const std::string& name) {
  if (name == "cross_entropy") return LossKind::CrossEntropy;
  if (name == "mse") return LossKind::Mse;
  if (name == "bce") return LossKind::Bce;
  if (name == "pixel_cross_entropy") return LossKind::PixelCrossEntropy;
  throw UsageError("unknown loss '" + name +
                   "' (known: cross_entropy, mse, bce, pixel_cross_entropy)");
}

std::string loss_name(LossKind loss) {
  switch (loss) {
    case LossKind::CrossEntropy:
      return "cross_entropy";
    case LossKind::Mse:
      return "mse";
    case LossKind::Bce:
      return "bce";
    case LossKind::PixelCrossEntropy:
      return "pixel_cross_entropy";
  }
  return "?";
}

bool is_classification(LossKind loss) {
  return loss != LossKind::Mse;
}

std::vector<std::string> metric_names(LossKind loss, int64_t top_k) {
  if (loss == LossKind::Mse) return regression_metric_names();
  if (loss == LossKind::CrossEntropy && top_k > 1) return classification_metric_names(top_k);
  return {"accuracy"};
}

double EpochRecord::value(const std::string& name) const {
  const auto it = values.find(name);
  if (it != values.end()) return it->second;
  if (name == "lr") return lr;
  std::string known;
  for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
  throw UsageError("monitor '" + name + "' is not logged (logged: " + known + ")");
}

namespace {

// Lower is better for losses and errors, higher for accuracies and R².
bool lower_is_better(const std::string& monitor) {
  for (const char* suffix : {"loss", "mse", "mae"}) {
    const std::string s = suffix;
    if (monitor.size() >= s.size() && monitor.compare(monitor.size() - s.size(), s.size(), s) == 0)
      return true;
  }
  return false;
}

Tensor labels_tensor(const std::vector<int64_t>& labels, const Shape& shape) {
  std::vector<float> v(labels.begin(), labels.end());
  return Tensor::from_vector(v, shape);
}

// The batch's target for the loss, shaped for `out`.
Tensor loss_target(const Tensor& out, const data::Batch& b, LossKind loss) {
  const int64_t n = out.size(0);
  switch (loss) {
    case LossKind::CrossEntropy:
      PHYSCNN_CHECK_ARG(!b.labels.empty(),
                        "loss cross_entropy needs class labels, the data has regression targets");
      PHYSCNN_CHECK_SHAPE(out.dim() == 2, "loss cross_entropy: model output ", out.shape().str(),
                          " should be (N, classes)");
      return labels_tensor(b.labels, Shape{n});
    case LossKind::Mse:
    case LossKind::Bce: {
      const Tensor t = b.labels.empty() ? b.targets : labels_tensor(b.labels, Shape{n});
      PHYSCNN_CHECK_ARG(loss != LossKind::Mse || b.labels.empty(),
                        "loss mse needs regression targets, the data has class labels (use "
                        "cross_entropy, or float targets)");
      PHYSCNN_CHECK_SHAPE(t.numel() == out.numel(), "loss ", loss_name(loss), ": model output ",
                          out.shape().str(), " and targets ", t.shape().str(), " differ in size");
      return t.reshape(out.shape()).to(out.dtype());
    }
    case LossKind::PixelCrossEntropy: {
      PHYSCNN_CHECK_SHAPE(out.dim() == 4, "loss pixel_cross_entropy: model output ",
                          out.shape().str(), " should be (N, classes, H, W)");
      PHYSCNN_CHECK_ARG(b.targets.defined(),
                        "loss pixel_cross_entropy needs per-pixel targets "
                        "stored as (N, H*W)");
      const Shape s{n, out.size(2), out.size(3)};
      PHYSCNN_CHECK_SHAPE(b.targets.numel() == s.numel(), "loss pixel_cross_entropy: output ",
                          out.shape().str(), " needs targets of ", s.numel(), " values, got ",
                          b.targets.shape().str());
      return b.targets.reshape(s);
    }
  }
  return {};
}

ag::Var loss_of(const ag::Var& out, const Tensor& target, LossKind loss) {
  switch (loss) {
    case LossKind::CrossEntropy:
    case LossKind::PixelCrossEntropy:
      return ag::cross_entropy(out, target);
    case LossKind::Mse:
      return ag::mse_loss(out, ag::Var(target));
    case LossKind::Bce:
      return ag::bce_with_logits(out, target);
  }
  return {};
}

// Samples [lo, hi) of a batch: the inputs, labels and targets a chunk's loss needs.
data::Batch batch_rows(const data::Batch& b, int64_t lo, int64_t hi) {
  data::Batch part;
  part.inputs = b.inputs.slice(0, lo, hi);
  if (!b.labels.empty()) part.labels.assign(b.labels.begin() + lo, b.labels.begin() + hi);
  if (b.targets.defined()) part.targets = b.targets.slice(0, lo, hi);
  return part;
}

// Running loss and metrics of one pass over a loader.
struct Tally {
  LossKind loss;
  int64_t top_k;
  double loss_sum = 0;
  int64_t samples = 0;
  std::optional<ClassificationMetrics> cls;
  std::optional<RegressionMetrics> reg;

  void add(const Tensor& out, const Tensor& target, double batch_loss) {
    const int64_t n = out.size(0);
    loss_sum += batch_loss * double(n);
    samples += n;
    if (loss == LossKind::Mse) {
      if (!reg) reg.emplace();
      reg->add(out, target);
      return;
    }
    const std::vector<double> t = target.contiguous().to_vector();
    std::vector<int64_t> labels(t.size());
    if (loss == LossKind::Bce) {
      // Binary decisions per element: logit > 0 against target > 0.5.
      const std::vector<double> o = out.contiguous().to_vector();
      std::vector<int64_t> pred(o.size());
      for (size_t i = 0; i < o.size(); ++i) {
        pred[i] = o[i] > 0;
        labels[i] = t[i] > 0.5;
      }
      if (!cls) cls.emplace(2, 1);
      cls->add_predictions(pred, labels);
      return;
    }
    for (size_t i = 0; i < t.size(); ++i) labels[i] = int64_t(std::llround(t[i]));
    if (!cls) cls.emplace(out.size(1), top_k);
    cls->add(out, labels);
  }

  Evaluation result() const {
    Evaluation e;
    e.loss = samples ? loss_sum / double(samples) : 0.0;
    e.samples = samples;
    e.classification = cls;
    e.regression = reg;
    return e;
  }
};

std::string first_non_finite_parameter(nn::Module& model, bool gradients) {
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor& t = gradients ? p.grad() : p.value();
    if (t.defined() && !all_finite(t)) return name;
  }
  return "";
}

std::string format_values(const EpochRecord& r, const std::vector<std::string>& order) {
  std::string s;
  char buf[64];
  for (const auto& k : order) {
    const auto it = r.values.find(k);
    if (it == r.values.end()) continue;
    std::snprintf(buf, sizeof buf, "%s%s %.4f", s.empty() ? "" : "  ", k.c_str(), it->second);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "  lr %.3g  %.0f img/s", r.lr, r.images_per_second);
  return s + buf;
}

nlohmann::json record_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},     {"values", r.values},         {"lr", exact_double(r.lr)},
          {"seconds", r.seconds}, {"ips", r.images_per_second}, {"overfitting", r.overfitting}};
}

EpochRecord record_from(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int>();
  r.values = j.at("values").get<std::map<std::string, double>>();
  r.lr = parse_exact_double(j.at("lr").get<std::string>(), "checkpoint lr");
  r.seconds = j.at("seconds").get<double>();
  r.images_per_second = j.at("ips").get<double>();
  r.overfitting = j.at("overfitting").get<bool>();
  return r;
}

}  // namespace

std::map<std::string, double> Evaluation::values() const {
  std::map<std::string, double> v{{"loss", loss}};
  if (classification) {
    v["accuracy"] = classification->accuracy();
    if (classification->top_k() > 1)
      v["top" + std::to_string(classification->top_k()) + "_accuracy"] =
          classification->top_k_accuracy();
  }
  if (regression)
    for (const auto& [k, x] : metric_values(*regression)) v[k] = x;
  return v;
}

Evaluation evaluate_loader(nn::Module& model, data::DataLoader& loader, LossKind loss,
                           int64_t top_k) {
  ag::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Tally tally{.loss = loss, .top_k = top_k};
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    const Tensor out = model(ag::Var(b->inputs)).value();
    const Tensor target = loss_target(out, *b, loss);
    tally.add(out, target, loss_of(ag::Var(out), target, loss).item());
  }
  model.train(was_training);
  return tally.result();
}

Tensor predict_loader(nn::Module& model, data::DataLoader& loader) {
  ag::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<Tensor> parts;
  loader.start_epoch(0);
  while (auto b = loader.next()) parts.push_back(model(ag::Var(b->inputs)).value());
  model.train(was_training);
  PHYSCNN_CHECK_ARG(!parts.empty(), "predict: the data is empty");
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

// --- Trainer --------------------------------------------------------------------------------

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, optim::LrScheduler* scheduler,
                 TrainerOptions options)
    : model_(model), optimizer_(optimizer), scheduler_(scheduler), options_(std::move(options)) {
  PHYSCNN_CHECK_ARG(options_.epochs >= 0, "epochs must be non-negative, got ", options_.epochs);
  PHYSCNN_CHECK_ARG(options_.checkpoint_every >= 0, "checkpoint every must be >= 0, got ",
                    options_.checkpoint_every);
  PHYSCNN_CHECK_ARG(options_.early_stopping.patience >= 0,
                    "early stopping patience must be "
                    ">= 0, got ",
                    options_.early_stopping.patience);
  if (options_.early_stopping.enabled) options_.monitor = options_.early_stopping.monitor;
}

void Trainer::reseed_dropout(int epoch) {
  // Masks depend on (seed, epoch, layer) only, so a resumed epoch draws the same ones.
  uint64_t layer = 0;
  for (const auto& [name, m] : model_.named_modules())
    if (auto* d = dynamic_cast<nn::Dropout*>(m.get()))
      d->set_rng(Rng(options_.seed, 0x64726f70ull + layer++).fork(uint64_t(epoch)));
}

bool Trainer::improves(const std::string& monitor, double value, double best,
                       double min_delta) const {
  if (std::isnan(best)) return !std::isnan(value);
  return lower_is_better(monitor) ? value < best - min_delta : value > best + min_delta;
}

std::string Trainer::checkpoint_note() const {
  if (options_.checkpoint_dir.empty()) return "";
  const fs::path last = fs::path(options_.checkpoint_dir) / "last.safetensors";
  if (!fs::is_regular_file(last)) return "; no checkpoint was written yet";
  return "; the last good checkpoint is " + last.string() + " (epoch " +
         std::to_string(last_checkpoint_epoch_) + ")";
}

void Trainer::check_finite(double loss, int epoch) const {
  if (std::isfinite(loss)) return;
  const std::string bad = first_non_finite_parameter(model_, false);
  throw NumericalError(
      "training diverged: loss is " + std::to_string(loss) + " at epoch " + std::to_string(epoch) +
      ", step " + std::to_string(step_ + 1) +
      (bad.empty() ? std::string("; every parameter is finite (check the inputs, or lower the "
                                 "learning rate)")
                   : "; first non-finite parameter: " + bad) +
      checkpoint_note());
}

EpochRecord Trainer::run_epoch(data::DataLoader& train, data::DataLoader* validation) {
  const int epoch = epoch_ + 1;
  const auto t0 = std::chrono::steady_clock::now();
  EpochRecord rec;
  rec.epoch = epoch;
  rec.lr = optimizer_.lr();
  model_.train();
  reseed_dropout(epoch_);
  train.start_epoch(epoch_);
  Progress bar(
      options_.label + " epoch " + std::to_string(epoch) + "/" + std::to_string(options_.epochs),
      train.batches_per_epoch(), options_.quiet);
  Tally tally{.loss = options_.loss, .top_k = options_.top_k};
  int64_t b = 0;
  while (auto batch = train.next()) {
    // Forward, loss and backward in cache-sized chunks of the batch where the model allows it
    // (train/step.hpp); the loss and gradients are the whole batch's.
    optimizer_.zero_grad();
    const data::Batch& whole = *batch;
    const int64_t n = whole.inputs.size(0);
    StepOptions step_options;
    if (options_.loss == LossKind::CrossEntropy || options_.loss == LossKind::PixelCrossEntropy) {
      const Tensor classes =
          whole.labels.empty() ? whole.targets : labels_tensor(whole.labels, {n});
      if (classes.defined() && classes.dim() >= 1 && classes.size(0) == n)
        step_options.count = ignore_aware_count(classes);
    }
    const StepResult step = forward_backward(
        model_, whole.inputs,
        [&](const ag::Var& part_out, int64_t lo, int64_t hi) {
          const data::Batch part = lo == 0 && hi == n ? whole : batch_rows(whole, lo, hi);
          return loss_of(part_out, loss_target(part_out.value(), part, options_.loss),
                         options_.loss);
        },
        step_options);
    const Tensor target = loss_target(step.output, whole, options_.loss);
    const double l = step.loss;
    check_finite(l, epoch);
    if (const std::string bad = first_non_finite_parameter(model_, true); !bad.empty())
      throw NumericalError("non-finite gradient at epoch " + std::to_string(epoch) + ", step " +
                           std::to_string(step_ + 1) + "; first offending parameter: " + bad +
                           checkpoint_note());
    if (options_.clip_grad_norm > 0)
      optim::clip_grad_norm(model_.parameters(), options_.clip_grad_norm);
    optimizer_.step();
    ++step_;
    if (scheduler_ && options_.schedule_per_step && !scheduler_->needs_metric()) scheduler_->step();
    tally.add(step.output, target, l);
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f", tally.loss_sum / double(tally.samples));
    bar.update(++b, status);
    if (on_step) on_step(step_);
    if (should_stop && should_stop())
      throw Interrupted("interrupted at epoch " + std::to_string(epoch) + ", step " +
                        std::to_string(step_) + checkpoint_note() +
                        " (--resume repeats this epoch from its start)");
  }
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& [k, v] : tally.result().values()) rec.values["train_" + k] = v;
  if (validation) {
    const Evaluation ev = evaluate_loader(model_, *validation, options_.loss, options_.top_k);
    for (const auto& [k, v] : ev.values()) rec.values["val_" + k] = v;
  }
  rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rec.images_per_second = double(tally.samples) / std::max(1e-9, train_seconds);
  if (!history_.empty() && validation) {
    const EpochRecord& prev = history_.back();
    rec.overfitting = rec.values["val_loss"] > prev.values.at("val_loss") &&
                      rec.values["train_loss"] < prev.values.at("train_loss");
  }
  std::vector<std::string> order{"train_loss"};
  for (const auto& m : metric_names(options_.loss, options_.top_k)) order.push_back("train_" + m);
  order.push_back("val_loss");
  for (const auto& m : metric_names(options_.loss, options_.top_k)) order.push_back("val_" + m);
  std::string status = format_values(rec, order);
  if (rec.overfitting) status += "  [val worse, train better: overtraining?]";
  bar.finish(status);
  return rec;
}

const std::vector<EpochRecord>& Trainer::fit(data::DataLoader& train,
                                             data::DataLoader* validation) {
  if (!validation && options_.monitor.rfind("val_", 0) == 0) {
    PHYSCNN_CHECK_ARG(!options_.early_stopping.enabled, "early stopping monitors '",
                      options_.monitor,
                      "', which needs a validation set (monitor train_loss instead, or add one)");
    options_.monitor = "train_loss";  // the best checkpoint without validation data
  }
  // A misspelt monitor fails now, not after the first epoch's training.
  std::vector<std::string> logged{"train_loss"};
  for (const auto& m : metric_names(options_.loss, options_.top_k)) logged.push_back("train_" + m);
  if (validation) {
    logged.push_back("val_loss");
    for (const auto& m : metric_names(options_.loss, options_.top_k)) logged.push_back("val_" + m);
  }
  if (std::find(logged.begin(), logged.end(), options_.monitor) == logged.end()) {
    std::string list;
    for (const auto& k : logged) list += (list.empty() ? "" : ", ") + k;
    throw UsageError("monitor '" + options_.monitor + "' is not logged (logged: " + list + ")" +
                     io::did_you_mean(options_.monitor, logged));
  }
  const std::string dir = options_.checkpoint_dir;
  while (epoch_ < options_.epochs && !stopped_early_) {
    EpochRecord rec = run_epoch(train, validation);
    ++epoch_;
    if (scheduler_) {
      if (scheduler_->needs_metric())
        scheduler_->step(rec.values.count("val_loss") ? rec.values["val_loss"]
                                                      : rec.values["train_loss"]);
      else if (!options_.schedule_per_step)
        scheduler_->step();
    }
    history_.push_back(rec);
    const double value = rec.value(options_.monitor);
    const auto& es = options_.early_stopping;
    const bool better = improves(options_.monitor, value, best_, es.enabled ? es.min_delta : 0.0);
    if (better) {
      best_ = value;
      best_epoch_ = epoch_;
      wait_ = 0;
      if (es.enabled && es.restore_best) {
        best_weights_.clear();
        for (const auto& [k, t] : model_.state_dict()) best_weights_[k] = t.clone();
      }
    } else {
      ++wait_;
    }
    if (es.enabled && !better && wait_ >= std::max(1, es.patience)) stopped_early_ = true;
    if (!dir.empty()) {
      if (better && options_.checkpoint_best)
        save_checkpoint((fs::path(dir) / "best.safetensors").string());
      if (stopped_early_ || epoch_ == options_.epochs ||
          (options_.checkpoint_every > 0 && epoch_ % options_.checkpoint_every == 0)) {
        save_checkpoint((fs::path(dir) / "last.safetensors").string());
        last_checkpoint_epoch_ = epoch_;
      }
    }
    if (stopped_early_ && !options_.quiet)
      std::fprintf(stderr,
                   "%s: early stopping after epoch %d: %s did not improve for %d epochs "
                   "(best %.4f at epoch %d)\n",
                   options_.label.c_str(), epoch_, options_.monitor.c_str(), wait_, best_,
                   best_epoch_);
    if (on_epoch) on_epoch(rec);
  }
  if (options_.early_stopping.enabled && options_.early_stopping.restore_best &&
      !best_weights_.empty() && best_epoch_ != epoch_)
    model_.load_state_dict(best_weights_);
  return history_;
}

void Trainer::save_checkpoint(const std::string& path) const {
  CheckpointData d;
  d.model = model_.state_dict();
  d.optimizer = optimizer_.state();
  d.optimizer_name = optimizer_.name();
  if (scheduler_) {
    d.scheduler = scheduler_->state();
    d.scheduler_name = scheduler_->name();
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : history_) history.push_back(record_json(r));
  const nlohmann::json j{{"epoch", epoch_},
                         {"step", step_},
                         {"best", exact_double(best_)},
                         {"best_epoch", best_epoch_},
                         {"wait", wait_},
                         {"stopped_early", stopped_early_},
                         {"monitor", options_.monitor},
                         {"seed", options_.seed},
                         {"history", history}};
  d.trainer = j.dump();
  write_checkpoint(path, d);
}

void Trainer::resume(const std::string& checkpoint_path) {
  const CheckpointData d = read_checkpoint(checkpoint_path);
  PHYSCNN_CHECK_ARG(d.optimizer_name == optimizer_.name(), "resume: ", checkpoint_path,
                    " was written with optimizer ", d.optimizer_name, ", this run uses ",
                    optimizer_.name());
  const std::string sched = scheduler_ ? scheduler_->name() : "";
  PHYSCNN_CHECK_ARG(d.scheduler_name == sched, "resume: ", checkpoint_path,
                    " was written with schedule '", d.scheduler_name, "', this run uses '", sched,
                    "'");
  try {
    const auto j = nlohmann::json::parse(d.trainer);
    PHYSCNN_CHECK_ARG(j.at("seed").get<uint64_t>() == options_.seed, "resume: ", checkpoint_path,
                      " was trained with seed ", j.at("seed").get<uint64_t>(),
                      ", this run has seed ", options_.seed, " (an exact resume needs the same)");
    try {
      model_.load_state_dict(d.model);
    } catch (const UsageError& e) {
      throw UsageError("resume: " + checkpoint_path +
                       " holds the weights of a different model (resume with the experiment " +
                       "that wrote it): " + e.what());
    }
    optimizer_.load_state(d.optimizer);
    if (scheduler_) scheduler_->load_state(d.scheduler);
    epoch_ = j.at("epoch").get<int>();
    step_ = j.at("step").get<int64_t>();
    last_checkpoint_epoch_ = epoch_;
    best_ = parse_exact_double(j.at("best").get<std::string>(), checkpoint_path);
    best_epoch_ = j.at("best_epoch").get<int>();
    wait_ = j.at("wait").get<int>();
    stopped_early_ = j.at("stopped_early").get<bool>();
    history_.clear();
    for (const auto& r : j.at("history")) history_.push_back(record_from(r));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(checkpoint_path + ": damaged trainer state: " + e.what());
  }
  // The best weights for restore_best live in best.safetensors beside the checkpoint.
  best_weights_.clear();
  const fs::path best = fs::path(checkpoint_path).parent_path() / "best.safetensors";
  if (options_.early_stopping.enabled && options_.early_stopping.restore_best && best_epoch_ > 0 &&
      fs::is_regular_file(best))
    for (auto& [k, t] : read_checkpoint(best.string()).model) best_weights_[k] = t;
}

}  // namespace physcnn::train

// The trainer: epochs of train_step, validation, callbacks, checkpoints and exact resume.
#include "train/loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/toml_util.hpp"
#include "nn/layers.hpp"
#include "train/checkpoint.hpp"
#include "train/progress.hpp"
#include "train/train_step.hpp"

namespace physcnn::train {

namespace fs = std::filesystem;

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

// A count from a checkpoint, checked before narrowing to int (epoch = 10^15 used to be reported
// as "negative epoch -1530494976").
int count_from(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  const bool fits = v.is_number_integer() && v.get<int64_t>() >= 0 &&
                    v.get<int64_t>() <= 10'000'000 &&
                    !(v.is_number_unsigned() && v.get<uint64_t>() > 10'000'000);
  if (!fits)
    throw IoError(std::string("'") + key + "' = " + v.dump() +
                  " is not a count in [0, 10000000] (the checkpoint is damaged or not ours)");
  return int(v.get<int64_t>());
}

EpochRecord record_from(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = count_from(j, "epoch");
  r.values = j.at("values").get<std::map<std::string, double>>();
  r.lr = parse_exact_double(j.at("lr").get<std::string>(), "checkpoint lr");
  r.seconds = j.at("seconds").get<double>();
  r.images_per_second = j.at("ips").get<double>();
  r.overfitting = j.at("overfitting").get<bool>();
  return r;
}

}  // namespace

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

const dist::Comm* Trainer::ranks() const {
  return options_.comm && options_.comm->distributed() ? options_.comm : nullptr;
}

bool Trainer::writes() const {
  return !ranks() || ranks()->is_root();
}

bool Trainer::stop_requested() const {
  if (!should_stop) return false;
  if (!ranks()) return should_stop();
  // A signal reaches the ranks at slightly different steps: all stop at the same one.
  std::vector<double> stop{should_stop() ? 1.0 : 0.0};
  ranks()->allreduce_max(stop);
  return stop[0] > 0;
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
      train.batches_per_epoch(), options_.quiet || !writes());
  Tally tally{.loss = options_.loss, .top_k = options_.top_k, .metric_set = options_.metric_set};
  int64_t b = 0;
  while (auto batch = train.next()) {
    StepConfig config;  // named, not designated: GCC 12 warns on a temporary's std::function
    config.clip_grad_norm = options_.clip_grad_norm;
    config.schedule_per_step = options_.schedule_per_step;
    config.where = "at epoch " + std::to_string(epoch) + ", step " + std::to_string(step_ + 1);
    config.sync = sync_.get();
    // Synchronised batch norm needs every rank in every batch norm's collectives.
    PHYSCNN_CHECK_ARG(!sync_ || !options_.sync_batch_norm || batch->global_size >= ranks()->size(),
                      "sync_batch_norm: batch ", batch->index + 1, " of epoch ", epoch, " has ",
                      batch->global_size, " samples for ", ranks()->size(),
                      " ranks; every rank needs one (choose batch_size so that the last batch "
                      "of an epoch has at least as many samples as there are ranks)");
    StepOutcome step;
    try {
      step = train_step(model_, optimizer_, scheduler_, *batch, options_.loss, config);
    } catch (const NumericalError& e) {
      throw NumericalError(e.what() + checkpoint_note());
    }
    ++step_;
    if (step.pass.output.defined()) tally.add(step.pass.output, step.target, step.pass.loss);
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f",
                  tally.loss_sum / double(std::max<int64_t>(1, tally.samples)));
    bar.update(++b, status);
    if (on_step) on_step(step_);
    if (stop_requested())
      throw Interrupted("interrupted at epoch " + std::to_string(epoch) + ", step " +
                        std::to_string(step_) + checkpoint_note() +
                        " (--resume repeats this epoch from its start)");
  }
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ranks()) {
    tally.sum_over(*ranks());
    if (!options_.sync_batch_norm) average_buffers(*ranks(), model_);
  }
  for (const auto& [k, v] : tally.result().values()) rec.values["train_" + k] = v;
  if (validation) {
    const Evaluation ev =
        evaluate(model_, *validation, options_.loss, options_.top_k, options_.metric_set, ranks());
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
  for (const auto& m : metric_names(options_.loss, options_.top_k, options_.metric_set))
    order.push_back("train_" + m);
  order.push_back("val_loss");
  for (const auto& m : metric_names(options_.loss, options_.top_k, options_.metric_set))
    order.push_back("val_" + m);
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
  for (const auto& m : metric_names(options_.loss, options_.top_k, options_.metric_set))
    logged.push_back("train_" + m);
  if (validation) {
    logged.push_back("val_loss");
    for (const auto& m : metric_names(options_.loss, options_.top_k, options_.metric_set))
      logged.push_back("val_" + m);
  }
  if (std::find(logged.begin(), logged.end(), options_.monitor) == logged.end()) {
    std::string list;
    for (const auto& k : logged) list += (list.empty() ? "" : ", ") + k;
    throw UsageError("monitor '" + options_.monitor + "' is not logged (logged: " + list + ")" +
                     io::did_you_mean(options_.monitor, logged));
  }
  const std::string dir = writes() ? options_.checkpoint_dir : "";
  if (ranks()) {
    // Same seed, same files: the same model on every rank, or a clear error before training.
    check_same_model(*ranks(), model_, "before training");
    if (!sync_) sync_ = std::make_unique<GradientSync>(*ranks(), model_, options_.grad_sync);
    if (options_.sync_batch_norm) sync_batch_norm(model_, ranks());
  }
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
      try {
        if (better && options_.checkpoint_best)
          save_checkpoint((fs::path(dir) / "best.safetensors").string());
        if (stopped_early_ || epoch_ == options_.epochs ||
            (options_.checkpoint_every > 0 && epoch_ % options_.checkpoint_every == 0)) {
          save_checkpoint((fs::path(dir) / "last.safetensors").string());
          last_checkpoint_epoch_ = epoch_;
        }
      } catch (const IoError& e) {  // a full disk, say: say what is still there
        throw IoError(e.what() + checkpoint_note());
      }
    }
    if (ranks()) check_same_model(*ranks(), model_, "after epoch " + std::to_string(epoch_));
    if (stopped_early_ && !options_.quiet && writes())
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
  // After training the model runs on one rank at a time (reports): no collectives in it.
  if (ranks() && options_.sync_batch_norm) sync_batch_norm(model_, nullptr);
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
    epoch_ = count_from(j, "epoch");
    step_ = j.at("step").get<int64_t>();
    last_checkpoint_epoch_ = epoch_;
    best_ = parse_exact_double(j.at("best").get<std::string>(), checkpoint_path);
    best_epoch_ = count_from(j, "best_epoch");
    wait_ = count_from(j, "wait");
    stopped_early_ = j.at("stopped_early").get<bool>();
    history_.clear();
    for (const auto& r : j.at("history")) history_.push_back(record_from(r));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(checkpoint_path + ": damaged trainer state: " + e.what());
  } catch (const IoError& e) {
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

// Files of the run folder: metrics, evaluation, samples, weights with normalisation.
#include "train/run_dir.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "core/files.hpp"
#include "data/formats/npz.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "tensor/ops.hpp"

namespace physcnn::train {

namespace fs = std::filesystem;

void refuse_existing_run(const std::string& folder) {
  const fs::path run(folder);
  if (fs::exists(run / "metrics.csv") || fs::exists(run / "checkpoints" / "last.safetensors"))
    throw UsageError("run folder " + folder + " already holds a run: continue it with --resume " +
                     folder + ", choose another --out, or pass --force to overwrite");
}

namespace {

constexpr const char* kMarker = "training in progress: process ";

// The PID a RUNNING marker names, -1 when it names none.
long marker_pid(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  const size_t at = text.find(kMarker);
  if (at == std::string::npos) return -1;
  const long pid = std::atol(text.c_str() + at + std::strlen(kMarker));
  return pid > 0 ? pid : -1;
}

}  // namespace

RunDir::RunDir(std::string path, bool may_hold_run, std::optional<RunLock> lock)
    : path_(std::move(path)) {
  std::error_code ec;
  fs::create_directories(fs::path(path_) / "checkpoints", ec);
  if (ec) throw IoError("cannot create run folder " + path_ + ": " + ec.message());
  if (lock)
    lock_.emplace(std::move(*lock));
  else
    lock_.emplace(path_);
  if (!may_hold_run) refuse_existing_run(path_);  // again: a run may have ended meanwhile
  // Under the lock, a marker is a run's that ended without removing it: killed or crashed.
  if (fs::exists(fs::symlink_status(file("RUNNING")))) killed_run_ = marker_pid(file("RUNNING"));
  for (const std::string& folder : {path_, checkpoints(), file("report")})
    for (const std::string& name : remove_stale_temporaries(folder))
      removed_.push_back((fs::path(folder) / name).string());
  write_text_atomic(file("RUNNING"),
                    kMarker + std::to_string(::getpid()) + " (this file is removed at the end)\n");
}

RunDir::~RunDir() {
  std::error_code ignored;
  fs::remove(file("RUNNING"), ignored);
}

std::string RunDir::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

void write_text_atomic(const std::string& path, const std::string& text) {
  io::write_file_atomic(path, [&](std::ostream& os) { os << text; });
}

std::vector<std::string> class_labels(const std::vector<std::string>& names, int64_t classes) {
  if (int64_t(names.size()) == classes) return names;
  std::vector<std::string> out;
  for (int64_t c = 0; c < classes; ++c) out.push_back(std::to_string(c));
  return out;
}

void write_metrics(const std::string& run_dir, const std::vector<EpochRecord>& history,
                   LossKind loss, int64_t top_k, const std::vector<std::string>& class_names,
                   const std::string& metric_set) {
  std::vector<std::string> cols{"train_loss"};
  const auto metrics = metric_names(loss, top_k, metric_set);
  for (const auto& m : metrics) cols.push_back("train_" + m);
  const bool has_val = !history.empty() && history.front().values.count("val_loss");
  if (has_val) {
    cols.push_back("val_loss");
    for (const auto& m : metrics) cols.push_back("val_" + m);
  }
  std::ostringstream csv;
  csv << "epoch";
  for (const auto& c : cols) csv << ',' << c;
  csv << ",lr,seconds,images_per_second\n";
  nlohmann::json epochs = nlohmann::json::array();
  char buf[64];
  for (const auto& r : history) {
    csv << r.epoch;
    nlohmann::json j{{"epoch", r.epoch}};
    for (const auto& c : cols) {
      const auto it = r.values.find(c);
      const double v = it == r.values.end() ? std::nan("") : it->second;
      std::snprintf(buf, sizeof buf, "%.9g", v);
      csv << ',' << buf;
      j[c] = v;
    }
    std::snprintf(buf, sizeof buf, ",%.9g,%.3f,%.1f\n", r.lr, r.seconds, r.images_per_second);
    csv << buf;
    j["lr"] = r.lr;
    j["seconds"] = r.seconds;
    j["images_per_second"] = r.images_per_second;
    epochs.push_back(j);
  }
  const nlohmann::json doc{{"task", loss.per_pixel()          ? "segmentation"
                                    : is_classification(loss) ? "classification"
                                                              : "regression"},
                           {"loss", loss_name(loss)},
                           {"class_names", class_names},
                           {"epochs", epochs}};
  write_text_atomic((fs::path(run_dir) / "metrics.csv").string(), csv.str());
  write_text_atomic((fs::path(run_dir) / "metrics.json").string(), doc.dump(2) + "\n");
}

std::string eval_json(const Evaluation& ev, LossKind loss, const std::vector<std::string>& names,
                      const std::string& split) {
  nlohmann::json j{{"task", is_classification(loss) ? "classification" : "regression"},
                   {"split", split},
                   {"samples", ev.samples}};
  for (const auto& [k, v] : ev.values()) j[k] = v;
  if (ev.classification) {
    const ClassificationMetrics& m = *ev.classification;
    const auto labels = class_labels(names, m.classes());
    j["class_names"] = labels;
    nlohmann::json cm = nlohmann::json::array(), per = nlohmann::json::array();
    std::vector<double> precision, recall, f1;
    for (int64_t t = 0; t < m.classes(); ++t) {
      std::vector<int64_t> row;
      int64_t support = 0;
      for (int64_t p = 0; p < m.classes(); ++p) {
        row.push_back(m.confusion(t, p));
        support += m.confusion(t, p);
      }
      cm.push_back(row);
      precision.push_back(m.precision(t));
      recall.push_back(m.recall(t));
      f1.push_back(m.f1(t));
      per.push_back({{"class", labels[size_t(t)]},
                     {"precision", m.precision(t)},
                     {"recall", m.recall(t)},
                     {"f1", m.f1(t)},
                     {"support", support}});
    }
    j["confusion_matrix"] = cm;
    j["precision"] = precision;
    j["recall"] = recall;
    j["f1"] = f1;
    j["macro_f1"] = m.macro_f1();
    if (ev.segmentation) {
      std::vector<double> iou;
      for (int64_t c = 0; c < m.classes(); ++c) {
        iou.push_back(m.iou(c));
        per[size_t(c)]["iou"] = m.iou(c);
      }
      j["iou"] = iou;
      j["task"] = "segmentation";
    }
    j["per_class"] = per;
  }
  if (ev.roc) {
    // JSON has no infinity: a rejection without background at 50 % is null.
    const Roc& r = *ev.roc;
    const Roc curve = thin(r, 500);
    j["auc"] = r.auc;
    j["rejection_at_50"] =
        std::isfinite(r.rejection_at_50) ? nlohmann::json(r.rejection_at_50) : nlohmann::json();
    j["roc"] = {{"signal_efficiency", curve.signal_efficiency},
                {"background_efficiency", curve.background_efficiency},
                {"signal", r.signal},
                {"background", r.background}};
  }
  return j.dump(2) + "\n";
}

void write_samples(const std::string& path, const data::Dataset& set,
                   const data::Transform& transform, int64_t n) {
  n = std::min(n, set.size());
  PHYSCNN_CHECK_ARG(n > 0, "samples: the data set is empty");
  std::vector<Tensor> xs;
  std::vector<int64_t> labels;
  std::vector<float> targets;
  for (int64_t i = 0; i < n; ++i) {
    data::Sample s = set.get(i);
    Rng unused(0);
    Tensor x = transform ? transform(s.input, unused) : s.input;
    std::vector<int64_t> dims{1};
    for (int64_t d : x.shape().dims()) dims.push_back(d);
    xs.push_back(x.contiguous().reshape(Shape(dims)));
    labels.push_back(s.label);
    targets.insert(targets.end(), s.target.begin(), s.target.end());
  }
  const Tensor x = concat(xs, 0).to(DType::F32);
  data::Array ax = data::Array::from_tensor(x);
  data::Array ay;
  if (set.target_kind() == data::TargetKind::Class) {
    ay.type = data::ElemType::I64;
    ay.shape = Shape{n};
    ay.bytes.resize(size_t(n) * sizeof(int64_t));
    std::memcpy(ay.bytes.data(), labels.data(), ay.bytes.size());
  } else {
    ay = data::Array::from_tensor(
        Tensor::from_vector(targets, Shape{n, int64_t(targets.size()) / n}));
  }
  data::write_npz(path, {{"x", ax}, {"y", ay}});
}

void save_model(const std::string& path, const nn::Module& model,
                const std::optional<data::ChannelStats>& stats) {
  std::map<std::string, std::string> meta{{"format", "physcnn-weights-1"}};
  if (stats) meta["normalization"] = nlohmann::json(stats->to_map()).dump();
  io::save_safetensors(path, model.state_dict(), meta);
}

std::optional<data::ChannelStats> load_model(const std::string& path, nn::Module& model) {
  require_regular_file(path, "weights file");
  io::TensorFile f = io::load_safetensors(path);
  // A checkpoint holds optimizer state beside the weights: keep the model's keys only.
  nn::StateDict weights;
  for (auto& [k, t] : f.tensors)
    if (k.rfind("optimizer/", 0) != 0 && k.rfind("scheduler/", 0) != 0) weights[k] = t;
  model.load_state_dict(weights);
  const auto it = f.metadata.find("normalization");
  if (it == f.metadata.end()) return std::nullopt;
  try {
    return data::ChannelStats::from_map(
        nlohmann::json::parse(it->second).get<std::map<std::string, std::vector<double>>>());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": damaged normalization metadata: " + e.what());
  }
}

}  // namespace physcnn::train

// Parsing metrics.json, eval.json and samples.npz with errors that name the file and the field.
#include "report/run_data.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/formats/npz.hpp"

namespace physcnn::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Distinct per-epoch keys in metrics.json (a run logs a dozen). Every key is a column of one
// value per epoch, so without a bound a file of n epochs with a new key each would need n^2
// values: 2 MB of JSON, 80 GB of memory.
constexpr size_t kMaxMetricColumns = 1024;

nlohmann::json parse_json(const std::string& path) {
  std::ifstream in(path);
  PHYSCNN_CHECK(in.good(), IoError, "report: cannot open ", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IoError("report: " + path + " is not valid JSON: " + e.what());
  }
}

std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j.at(key).is_array())
    for (const auto& s : j.at(key)) out.push_back(s.is_string() ? s.get<std::string>() : s.dump());
  return out;
}

}  // namespace

std::vector<std::string> RunMetrics::metric_names() const {
  std::vector<std::string> names;
  for (const auto& [key, _] : columns)
    for (const char* prefix : {"train_", "val_"})
      if (key.rfind(prefix, 0) == 0) {
        const std::string name = key.substr(std::string(prefix).size());
        if (name != "loss" && std::find(names.begin(), names.end(), name) == names.end())
          names.push_back(name);
      }
  return names;
}

const std::vector<double>* RunMetrics::column(const std::string& key) const {
  const auto it = columns.find(key);
  return it == columns.end() ? nullptr : &it->second;
}

RunMetrics read_run_metrics(const std::string& path) {
  const nlohmann::json j = parse_json(path);
  PHYSCNN_CHECK(j.is_object() && j.contains("epochs") && j.at("epochs").is_array(), IoError,
                "report: ", path, " has no \"epochs\" array (is it a run's metrics.json?)");
  RunMetrics m;
  if (j.contains("task") && j.at("task").is_string()) m.task = j.at("task").get<std::string>();
  m.class_names = strings(j, "class_names");
  const auto& epochs = j.at("epochs");
  const size_t n = epochs.size();
  for (size_t e = 0; e < n; ++e) {
    const auto& row = epochs[e];
    PHYSCNN_CHECK(row.is_object(), IoError, "report: ", path, ": epochs[", e, "] is not an object");
    m.epoch.push_back(row.contains("epoch") && row.at("epoch").is_number()
                          ? row.at("epoch").get<double>()
                          : static_cast<double>(e + 1));
    for (const auto& [key, value] : row.items()) {
      if (key == "epoch") continue;
      PHYSCNN_CHECK(value.is_number() || value.is_null(), IoError, "report: ", path, ": epochs[", e,
                    "].", key, " is not a number (", value.dump(), ")");
      PHYSCNN_CHECK(m.columns.size() < kMaxMetricColumns || m.columns.count(key), IoError,
                    "report: ", path, ": epochs[", e, "] adds a key '", key, "' beyond ",
                    kMaxMetricColumns, " distinct keys (is it a run's metrics.json?)");
      auto& col = m.columns[key];
      col.resize(n, kNaN);
      col[e] = value.is_null() ? kNaN : value.get<double>();
    }
  }
  return m;
}

double EvalResults::precision(size_t c) const {
  double predicted = 0;
  for (const auto& row : confusion) predicted += row[c];
  return predicted > 0 ? confusion[c][c] / predicted : kNaN;
}

double EvalResults::recall(size_t c) const {
  double present = 0;
  for (double v : confusion[c]) present += v;
  return present > 0 ? confusion[c][c] / present : kNaN;
}

EvalResults read_eval(const std::string& path) {
  const nlohmann::json j = parse_json(path);
  PHYSCNN_CHECK(j.is_object(), IoError, "report: ", path, " is not a JSON object");
  EvalResults r;
  r.class_names = strings(j, "class_names");
  // `physcnn train` writes "confusion_matrix"; "confusion" is accepted too.
  const char* key = j.contains("confusion_matrix") ? "confusion_matrix" : "confusion";
  if (j.contains(key)) {
    const auto& c = j.at(key);
    PHYSCNN_CHECK(c.is_array(), IoError, "report: ", path, ": \"", key, "\" is not a list of rows");
    for (size_t i = 0; i < c.size(); ++i) {
      PHYSCNN_CHECK(c[i].is_array() && c[i].size() == c.size(), IoError, "report: ", path,
                    ": confusion row ", i, " must have ", c.size(), " numbers (the matrix is ",
                    "classes x classes), got ", c[i].dump());
      std::vector<double> row;
      for (const auto& v : c[i]) {
        PHYSCNN_CHECK(v.is_number() && v.get<double>() >= 0, IoError, "report: ", path,
                      ": confusion row ", i, " holds ", v.dump(), ", not a count");
        row.push_back(v.get<double>());
      }
      r.confusion.push_back(std::move(row));
    }
    PHYSCNN_CHECK(r.class_names.empty() || r.class_names.size() == r.confusion.size(), IoError,
                  "report: ", path, ": ", r.class_names.size(), " class_names for a ",
                  r.confusion.size(), "x", r.confusion.size(), " confusion matrix");
  }
  for (const auto& [key, value] : j.items())
    if (value.is_number()) r.scalars.emplace_back(key, value.get<double>());
  if (j.contains("roc")) {
    const auto& roc = j.at("roc");
    const auto list = [&](const char* name) {
      std::vector<double> v;
      PHYSCNN_CHECK(roc.is_object() && roc.contains(name) && roc.at(name).is_array(), IoError,
                    "report: ", path, ": \"roc\" needs a list \"", name, "\"");
      for (const auto& x : roc.at(name)) {
        PHYSCNN_CHECK(x.is_number() && x.get<double>() >= 0 && x.get<double>() <= 1, IoError,
                      "report: ", path, ": roc ", name, " holds ", x.dump(),
                      ", not an efficiency in [0, 1]");
        v.push_back(x.get<double>());
      }
      return v;
    };
    r.roc_signal = list("signal_efficiency");
    r.roc_background = list("background_efficiency");
    PHYSCNN_CHECK(r.roc_signal.size() == r.roc_background.size(), IoError, "report: ", path,
                  ": roc has ", r.roc_signal.size(), " signal and ", r.roc_background.size(),
                  " background efficiencies");
  }
  return r;
}

Samples read_samples(const std::string& path) {
  const data::NpzReader npz(path);  // IoError naming the file when unreadable
  PHYSCNN_CHECK(
      npz.contains("x"), IoError, "report: ", path, " has no array 'x' (it has: ",
      [&] {
        std::string s;
        for (const auto& n : npz.names()) s += (s.empty() ? "" : ", ") + n;
        return s.empty() ? std::string("none") : s;
      }(),
      ")");
  Samples s;
  const data::Array x = npz.read("x");
  PHYSCNN_CHECK(x.shape.rank() == 4 && x.numel() > 0, IoError, "report: ", path,
                ": x must be (n, C, H, W), got shape ", x.shape.str());
  s.x = x.to_tensor(DType::F32);
  const bool has_y = npz.contains("y");
  const data::Array y = has_y ? npz.read("y") : data::Array{};
  // Float y are a regression run's targets (n, outputs): no class labels to caption with.
  if (has_y && y.type != data::ElemType::F32 && y.type != data::ElemType::F64) {
    PHYSCNN_CHECK(y.shape.rank() == 1 && y.shape[0] == x.shape[0], IoError, "report: ", path,
                  ": y must be (n) with n = ", x.shape[0], ", got shape ", y.shape.str());
    s.y = y.to_int64();
  }
  return s;
}

std::string run_name(const std::string& run_dir) {
  std::filesystem::path p = std::filesystem::absolute(run_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace physcnn::report

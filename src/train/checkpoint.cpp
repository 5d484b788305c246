// Checkpoint files as safetensors with prefixed optimizer/schedule tensors and JSON metadata.
#include "train/checkpoint.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "io/safetensors.hpp"

namespace physcnn::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "physcnn-checkpoint-1";
constexpr const char* kOptimizerPrefix = "optimizer/";
constexpr const char* kSchedulerPrefix = "scheduler/";

nlohmann::json scalars_json(const std::map<std::string, double>& scalars) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : scalars) j[k] = exact_double(v);
  return j;
}

std::map<std::string, double> scalars_from(const std::string& text, const std::string& what) {
  std::map<std::string, double> out;
  const auto j = nlohmann::json::parse(text);
  for (const auto& [k, v] : j.items()) out[k] = parse_exact_double(v.get<std::string>(), what);
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string exact_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

double parse_exact_double(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size())
    throw IoError(what + ": '" + s + "' is not a number");
  return v;
}

void write_checkpoint(const std::string& path, const CheckpointData& data) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [k, t] : data.model) {
    PHYSCNN_CHECK_ARG(!starts_with(k, kOptimizerPrefix) && !starts_with(k, kSchedulerPrefix),
                      "checkpoint: model key '", k, "' collides with the optimizer prefix");
    tensors[k] = t;
  }
  for (const auto& [k, t] : data.optimizer.tensors) tensors[kOptimizerPrefix + k] = t;
  for (const auto& [k, t] : data.scheduler.tensors) tensors[kSchedulerPrefix + k] = t;
  const std::map<std::string, std::string> meta{
      {"format", kFormat},
      {"optimizer", data.optimizer_name},
      {"optimizer_scalars", scalars_json(data.optimizer.scalars).dump()},
      {"scheduler", data.scheduler_name},
      {"scheduler_scalars", scalars_json(data.scheduler.scalars).dump()},
      {"trainer", data.trainer}};
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec)
    throw IoError("checkpoint: cannot create folder " + parent.string() + ": " + ec.message());
  io::save_safetensors(path, tensors, meta);
}

CheckpointData read_checkpoint(const std::string& path) {
  require_regular_file(path, "checkpoint");
  io::TensorFile file = io::load_safetensors(path);
  const auto format = file.metadata.find("format");
  PHYSCNN_CHECK_ARG(format != file.metadata.end() && format->second == kFormat, path,
                    " is not a physcnn checkpoint (no format '", kFormat,
                    "' in its metadata; plain weights cannot be resumed)");
  auto meta = [&](const char* key) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end())
      throw IoError(path + ": checkpoint metadata lacks '" + key + "'");
    return it->second;
  };
  CheckpointData d;
  for (auto& [k, t] : file.tensors) {
    if (starts_with(k, kOptimizerPrefix))
      d.optimizer.tensors[k.substr(std::string(kOptimizerPrefix).size())] = t;
    else if (starts_with(k, kSchedulerPrefix))
      d.scheduler.tensors[k.substr(std::string(kSchedulerPrefix).size())] = t;
    else
      d.model[k] = t;
  }
  try {
    d.optimizer.scalars = scalars_from(meta("optimizer_scalars"), path);
    d.scheduler.scalars = scalars_from(meta("scheduler_scalars"), path);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": damaged checkpoint metadata: " + e.what());
  }
  d.optimizer_name = meta("optimizer");
  d.scheduler_name = meta("scheduler");
  d.trainer = meta("trainer");
  return d;
}

std::string find_checkpoint(const std::string& run_dir_or_file) {
  if (fs::is_directory(run_dir_or_file)) {
    const fs::path last = fs::path(run_dir_or_file) / "checkpoints" / "last.safetensors";
    if (!fs::is_regular_file(last))
      throw IoError("--resume: " + run_dir_or_file + " has no checkpoints/last.safetensors");
    return last.string();
  }
  if (!fs::is_regular_file(run_dir_or_file))
    throw IoError("--resume: " + run_dir_or_file + " is neither a run folder nor a checkpoint");
  return run_dir_or_file;
}

}  // namespace physcnn::train

// Loading sample inputs and models for the inspection commands (report, show, probe).
#include "cli/inspect_input.hpp"

#include <toml++/toml.h>
#include <filesystem>

#include "core/error.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"
#include "io/safetensors.hpp"
#include "tensor/ops.hpp"

namespace physcnn::cli {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

Tensor as_batch(const data::Array& a, const std::string& path) {
  Tensor t = a.to_tensor(DType::F32);
  if (a.type == data::ElemType::U8) t = mul(t, 1.0 / 255.0);  // images stored as bytes
  const auto& d = t.shape().dims();
  switch (t.dim()) {
    case 2:
      return t.reshape({1, 1, d[0], d[1]});
    case 3:
      return t.reshape({d[0], 1, d[1], d[2]});
    case 4:
      return t;
    default:
      throw ShapeError(path + ": inputs must be (H, W), (N, H, W) or (N, C, H, W), got shape " +
                       t.shape().str());
  }
}

}  // namespace

InputSamples load_inputs(const std::string& path, const std::string& array) {
  PHYSCNN_CHECK(fs::exists(path), IoError, "no such input file: ", path);
  InputSamples s;
  if (ends_with(path, ".npz")) {
    const data::NpzReader npz(path);
    PHYSCNN_CHECK_ARG(npz.contains(array), path, " has no array '", array,
                      "' (choose one with --array)");
    s.x = as_batch(npz.read(array), path);
    for (const char* labels : {"y", "label", "labels"})
      if (npz.contains(labels) && s.y.empty()) {
        const auto y = npz.read(labels);
        if (y.shape.rank() == 1 && y.shape[0] == s.x.size(0)) s.y = y.to_int64();
      }
  } else if (ends_with(path, ".npy")) {
    s.x = as_batch(data::read_npy(path), path);
  } else if (ends_with(path, ".png")) {
    const Tensor img = data::read_png(path);  // (C, H, W) in [0, 1]
    s.x = img.unsqueeze(0).contiguous();
  } else {
    s.x = as_batch(data::read_idx(path), path);
  }
  PHYSCNN_CHECK(s.x.size(0) > 0, IoError, path, " holds no samples");
  return s;
}

InputSamples take_samples(const InputSamples& s, int64_t first, int64_t count,
                          const std::string& what) {
  const int64_t n = s.x.size(0);
  PHYSCNN_CHECK_ARG(first >= 0 && first < n, what, ": index ", first, " is outside the ", n,
                    " samples (0 to ", n - 1, ")");
  const int64_t last = std::min(n, first + count);
  InputSamples out;
  out.x = s.x.slice(0, first, last).contiguous();
  if (!s.y.empty()) out.y.assign(s.y.begin() + first, s.y.begin() + last);
  return out;
}

void load_weights(ResolvedModel& m, const std::string& weights) {
  const auto file = io::load_safetensors(weights);
  try {
    m.model->load_state_dict(file.tensors, true);
  } catch (const ShapeError& e) {
    throw ShapeError(weights + " does not fit " + m.name + ": " + e.what());
  } catch (const UsageError& e) {
    throw UsageError(weights + " does not fit " + m.name + ": " + e.what());
  }
}

ResolvedModel load_model_with_weights(const std::string& model, const std::string& weights) {
  ResolvedModel r = resolve_model(model, 0);
  if (!weights.empty()) load_weights(r, weights);
  return r;
}

ResolvedModel run_folder_model(const std::string& run_dir) {
  const std::string experiment = run_dir + "/experiment.toml", copy = run_dir + "/model.toml";
  std::string spec;
  if (fs::exists(experiment)) {
    toml::table t;
    try {
      t = toml::parse_file(experiment);
    } catch (const toml::parse_error& e) {
      throw IoError(experiment + ": not valid TOML: " + std::string(e.description()));
    }
    if (auto s = t["model"].value<std::string>()) spec = *s;
    for (const char* key : {"file", "path", "name", "zoo"})
      if (auto s = t["model"][key].value<std::string>(); spec.empty() && s) spec = *s;
  }
  const bool zoo_name = !spec.empty() && !ends_with(spec, ".toml") && !fs::exists(spec);
  if (zoo_name) return resolve_model(spec, 0);
  if (fs::exists(copy)) {
    try {
      return resolve_model(copy, 0);
    } catch (const Error&) {
      if (spec.empty()) throw;  // a copy that is only a comment: fall back to the path
    }
  }
  if (!spec.empty()) return resolve_model(spec, 0);
  return {};
}

}  // namespace physcnn::cli

// `physcnn probe MODEL`: shift (periodic / zero fill), rotate by 90 degrees and flip a batch of
// inputs and report per layer how far each output is from equivariant and from invariant, and
// how often the prediction survives; as a table and as JSON (nn/inspect.hpp).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/inspect_input.hpp"
#include "io/atomic_file.hpp"
#include "nn/inspect.hpp"
#include "nn/summary.hpp"

namespace physcnn::cli {

namespace {

namespace fs = std::filesystem;

std::string cell(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, v == 0 ? "0" : v < 1e-3 ? "%.1e" : "%.4f", v);
  return buf;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", 100 * fraction);
  return buf;
}

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

void print_table(const std::vector<nn::ProbeResult>& results) {
  for (const auto& r : results) {
    std::printf("\n%s: prediction agreement %s%%, output change %s\n", r.transform.name().c_str(),
                std::isnan(r.agreement) ? "-" : percent(r.agreement).c_str(),
                cell(r.output_change).c_str());
    std::printf("  %-24s %-18s %-16s %3s %13s %13s\n", "layer", "type", "shape", "|G|",
                "equivariance", "invariance");
    for (const auto& l : r.layers)
      std::printf("  %-24s %-18s %-16s %3s %13s %13s\n", l.path.c_str(), l.type.c_str(),
                  nn::shape_tuple(l.shape).c_str(),
                  l.group_order > 0 ? std::to_string(l.group_order).c_str() : "-",
                  cell(l.equivariance).c_str(), cell(l.invariance).c_str());
  }
}

// One line each: the transforms the prediction is invariant to, and those every spatial layer
// is equivariant to, up to float32 rounding.
void print_verdict(const std::vector<nn::ProbeResult>& results) {
  constexpr double kRounding = 1e-5;
  std::string invariant, equivariant;
  for (const auto& r : results) {
    if (r.output_change < kRounding)
      invariant += (invariant.empty() ? "" : ", ") + r.transform.name();
    bool all = true, any = false;
    for (const auto& l : r.layers)
      if (l.shape.rank() == 3 && !std::isnan(l.equivariance)) {
        any = true;
        all = all && l.equivariance < kRounding;
      } else if (l.shape.rank() == 3) {
        all = false;  // a spatial layer where the transform is not a whole shift
      }
    if (any && all) equivariant += (equivariant.empty() ? "" : ", ") + r.transform.name();
  }
  std::printf("\nprediction invariant (output change < %g) under: %s\n", kRounding,
              invariant.empty() ? "none" : invariant.c_str());
  std::printf("every spatial layer equivariant under: %s\n",
              equivariant.empty() ? "none" : equivariant.c_str());
}

nlohmann::json to_json(const std::string& model, int64_t n,
                       const std::vector<nn::ProbeResult>& results) {
  nlohmann::json j{{"model", model}, {"samples", n}, {"transforms", nlohmann::json::array()}};
  for (const auto& r : results) {
    nlohmann::json t{{"name", r.transform.name()},
                     {"dy", r.transform.dy},
                     {"dx", r.transform.dx},
                     {"quarter_turns", r.transform.quarter_turns},
                     {"agreement", number(r.agreement)},
                     {"output_change", number(r.output_change)},
                     {"layers", nlohmann::json::array()}};
    for (const auto& l : r.layers)
      t["layers"].push_back({{"layer", l.path},
                             {"type", l.type},
                             {"shape", l.shape.dims()},
                             {"group_order", l.group_order},
                             {"equivariance", number(l.equivariance)},
                             {"invariance", number(l.invariance)}});
    j["transforms"].push_back(std::move(t));
  }
  return j;
}

}  // namespace

Run add_probe(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "probe", "Measure how shifts, 90-degree rotations and flips change each layer's output");
  struct Args {
    std::string model, weights, data, array = "x", json;
    int64_t count = 32, stride = 2;
    uint64_t seed = 0;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("model", a->model, "zoo name, model .toml, or a run folder")->required();
  cmd->add_option("--weights", a->weights, "weights (.safetensors); default RUN/model.safetensors");
  cmd->add_option("--data", a->data,
                  "inputs: .npz, .npy, IDX or .png (default RUN/samples.npz, else random +-1 "
                  "lattices of the model's input shape)");
  cmd->add_option("--array", a->array, "array of an .npz input (default x)");
  cmd->add_option("--count", a->count, "samples probed (the first ones)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--stride", a->stride,
                  "also shift by this many pixels (the total pooling stride: exact invariance "
                  "is possible only for multiples of it)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--json", a->json, "also write the results as JSON to this file ('-': stdout)");
  cmd->add_option("--seed", a->seed, "seed of the random inputs");
  return [a] {
    const bool run = fs::is_directory(a->model);
    ResolvedModel m = run ? run_folder_model(a->model) : resolve_model(a->model);
    PHYSCNN_CHECK_ARG(m.model != nullptr, "probe: the run folder ", a->model, " names no model");
    std::string weights = a->weights;
    if (weights.empty() && run && fs::exists(a->model + "/model.safetensors"))
      weights = a->model + "/model.safetensors";
    if (!weights.empty()) load_weights(m, weights);
    std::string data = a->data;
    if (data.empty() && run && fs::exists(a->model + "/samples.npz"))
      data = a->model + "/samples.npz";
    Tensor x;
    if (!data.empty()) {
      x = take_samples(load_inputs(data, a->array), 0, a->count, "probe").x;
    } else {
      std::vector<int64_t> dims{a->count};
      for (int64_t d : m.input.dims()) dims.push_back(d);
      Rng rng(a->seed);
      x = Tensor::uniform(Shape(dims), -1, 1, rng);
      for (int64_t i = 0; i < x.numel(); ++i)
        x.data<float>()[i] = x.data<float>()[i] < 0 ? -1.f : 1.f;
    }
    PHYSCNN_CHECK_SHAPE(x.dim() == 4, "probe: inputs must be (N, C, H, W), got ", x.shape().str());
    const auto results = nn::probe_invariance(
        *m.model, x, nn::default_probe_transforms(x.size(2), x.size(3), a->stride));
    std::printf("probe of %s%s on %lld inputs %s from %s\n", m.name.c_str(),
                weights.empty() ? " (initial weights: no --weights)" : "",
                static_cast<long long>(x.size(0)),
                nn::shape_tuple(Shape({x.size(1), x.size(2), x.size(3)})).c_str(),
                data.empty() ? "random +-1 lattices" : data.c_str());
    std::printf(
        "equivariance = |f(Tx) - T f(x)| / |T f(x)|, invariance = |f(Tx) - f(x)| / |f(x)| "
        "(0: exact; '-': not defined at that layer; |G| 4 or 8: fields over p4 or p4m, where T "
        "also permutes the orientations)\n");
    print_table(results);
    print_verdict(results);
    if (!a->json.empty()) {
      const std::string text = to_json(m.name, x.size(0), results).dump(1) + "\n";
      if (a->json == "-")
        std::fputs(text.c_str(), stdout);
      else
        io::write_file_atomic(a->json, [&](std::ostream& out) { out << text; });
    }
    return 0;
  };
}

}  // namespace physcnn::cli

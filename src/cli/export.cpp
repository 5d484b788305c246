// `physcnn export`: a model as an ONNX file (onnx/export.hpp), checked with ONNX's checker.
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "nn/module.hpp"
#include "onnx/export.hpp"
#include "train/experiment.hpp"
#include "train/run_dir.hpp"

namespace physcnn::cli {

namespace fs = std::filesystem;

Run add_export(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export",
      "A model as ONNX: `physcnn export RUN --onnx model.onnx`, or\n"
      "`physcnn export --model M --weights W --onnx model.onnx` (docs/onnx.md).");
  struct Args {
    std::string run, model, weights, onnx;
    bool fold_bn = false, untrained = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("run", a->run, "a run folder of `physcnn train`");
  cmd->add_option("--model", a->model, "zoo name or model .toml (without a run folder)");
  cmd->add_option("--weights", a->weights, "weights (.safetensors); a run's own by default");
  cmd->add_option("--onnx", a->onnx, "the ONNX file to write")->required();
  cmd->add_flag("--fold-bn", a->fold_bn,
                "fold batch norms into the convolutions before them (one Conv node)");
  cmd->add_flag("--untrained", a->untrained,
                "with --model and no --weights: the model's initial weights (seed 0; benchmarks)");
  cmd->add_flag("--quiet,-q", a->quiet, "print nothing");
  return [a] {
    PHYSCNN_CHECK_ARG(fs::path(a->onnx).extension() == ".onnx", "export: --onnx ", a->onnx,
                      " must end in .onnx");
    ModelSpec spec;
    std::string weights = a->weights;
    if (!a->run.empty()) {
      PHYSCNN_CHECK_ARG(a->model.empty(), "export: give a run folder or --model, not both");
      spec = load_run_model(a->run);
      if (weights.empty()) weights = (fs::path(a->run) / "model.safetensors").string();
    } else {
      PHYSCNN_CHECK_ARG(!a->model.empty() && (!weights.empty() || a->untrained),
                        "export: give a run folder, or --model and --weights (or --untrained)");
      spec = load_model_spec(a->model, 0);
    }
    spec.model->build(spec.input);
    const auto stats = weights.empty() ? std::nullopt : train::load_model(weights, *spec.model);
    onnx_export::Options options{.fold_batch_norm = a->fold_bn, .producer_version = "physcnn"};
    if (stats) {
      options.mean = stats->mean;
      options.std = stats->std;
    }
    const auto report = onnx_export::export_onnx(*spec.model, spec.input, a->onnx, options);
    if (!a->quiet) {
      std::string ops;
      for (const auto& [op, n] : report.ops)
        ops += (ops.empty() ? "" : ", ") + op + " " + std::to_string(n);
      std::fprintf(
          stderr, "wrote %s (opset %lld, checked): input (N,%s), output %s%s; %s\n",
          a->onnx.c_str(), static_cast<long long>(onnx_export::kOpset),
          [&] {
            std::string s;
            for (int64_t d : spec.input) s += (s.empty() ? "" : ",") + std::to_string(d);
            return s;
          }()
              .c_str(),
          report.output.str().c_str(), stats ? ", input normalisation included" : "", ops.c_str());
    }
    return 0;
  };
}

}  // namespace physcnn::cli

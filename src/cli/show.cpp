// `physcnn show WHAT SOURCE --out PICTURE`: one picture on demand. WHAT is filters, features,
// saliency, cam (SOURCE: a model, zoo name or .toml, or a run folder) or confusion, curves
// (SOURCE: a run folder). Pictures are the report's (report/pictures.hpp), PNG or SVG.
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/inspect_input.hpp"
#include "nn/inspect.hpp"
#include "report/pictures.hpp"
#include "tensor/ops.hpp"
#include "train/evaluation.hpp"

namespace physcnn::cli {

namespace {

namespace fs = std::filesystem;

struct ShowArgs {
  std::string what, source, weights, input, array = "x", layer, metric = "loss", out;
  int64_t index = 0, count = 1, cls = -1;
};

std::vector<std::string> class_names_of(const std::string& run) {
  if (run.empty() || !fs::exists(run + "/metrics.json")) return {};
  return report::read_run_metrics(run + "/metrics.json").class_names;
}

void show_run_picture(const ShowArgs& a) {
  PHYSCNN_CHECK_ARG(fs::is_directory(a.source), "show ", a.what, ": '", a.source,
                    "' is not a run folder");
  if (a.what == "confusion") {
    const std::string path = a.source + "/eval.json";
    PHYSCNN_CHECK(fs::exists(path), IoError, "show confusion: ", path,
                  " does not exist (the run has not been evaluated)");
    report::save_figure(report::confusion_plot(report::read_eval(path)), a.out);
    return;
  }
  const auto m = report::read_run_metrics(a.source + "/metrics.json");
  std::optional<viz::LinePlot> plot;
  if (a.metric == "loss")
    plot = report::loss_plot(m);
  else if (a.metric == "lr")
    plot = report::lr_plot(m);
  else if (a.metric == "throughput")
    plot = report::throughput_plot(m);
  else
    plot = report::metric_plot(m, a.metric);
  if (!plot) {
    std::string names = "loss, lr, throughput";
    for (const auto& n : m.metric_names()) names += ", " + n;
    throw UsageError("show curves: " + a.source + "/metrics.json has no values for '" + a.metric +
                     "' (choose --metric from: " + names + ")");
  }
  report::save_figure(*plot, a.out);
}

void show_model_picture(const ShowArgs& a) {
  const bool run = fs::is_directory(a.source);
  const std::string weights = !a.weights.empty() ? a.weights
                              : run && fs::exists(a.source + "/model.safetensors")
                                  ? a.source + "/model.safetensors"
                                  : "";
  ResolvedModel m;
  if (run) {
    m = run_folder_model(a.source);
    PHYSCNN_CHECK_ARG(m.model != nullptr, "show ", a.what, ": the run folder ", a.source,
                      " names no model (no experiment.toml or model.toml)");
    if (!weights.empty()) load_weights(m, weights);
  } else {
    m = load_model_with_weights(a.source, weights);
  }
  if (weights.empty())
    std::fprintf(stderr, "physcnn show: no --weights: showing the initial (untrained) weights\n");
  nn::Module& model = *m.model;
  if (a.what == "filters") {
    for (const auto& [name, mod] : model.named_modules()) {
      if (!(a.layer.empty() ? mod->type_name() == "Conv2d" : name == a.layer)) continue;
      for (const auto& [pname, p] : mod->named_parameters())
        if (pname == "weight" && p.value().dim() == 4) {
          report::save_figure(report::filter_grid(name, p.value(), 64, 16), a.out);
          return;
        }
      throw UsageError("show filters: layer '" + name + "' (" + mod->type_name() +
                       ") has no 4-D weight");
    }
    throw UsageError("show filters: " + (a.layer.empty()
                                             ? std::string("the model has no Conv2d layer")
                                             : "the model has no layer '" + a.layer + "'"));
  }
  const std::string input = !a.input.empty() ? a.input
                            : run            ? a.source + "/samples.npz"
                                             : std::string();
  PHYSCNN_CHECK_ARG(!input.empty(), "show ", a.what, ": give the inputs with --input FILE");
  const InputSamples s =
      take_samples(load_inputs(input, a.array), a.index, a.what == "features" ? 1 : a.count,
                   "show " + a.what + " --index");
  if (a.what == "features") {
    PHYSCNN_CHECK_ARG(!a.layer.empty(), "show features: choose the layer with --layer (e.g. ",
                      model.named_modules().front().first, ")");
    const Tensor maps = nn::layer_output(model, s.x, a.layer);
    PHYSCNN_CHECK_SHAPE(maps.dim() == 4, "show features: layer '", a.layer,
                        "' gives no feature maps (N, C, H, W), its output is ", maps.shape().str());
    std::string type;
    for (const auto& [name, mod] : model.named_modules())
      if (name == a.layer) type = mod->type_name();
    report::save_figure(report::feature_grid(a.layer, type, maps.select(0, 0), 64), a.out);
    return;
  }
  const nn::ClassList classes = a.cls >= 0 ? nn::ClassList{a.cls} : nn::ClassList{};
  const Tensor out = train::predict(model, s.x);
  const auto captions = report::sample_captions(
      s.y, out.dim() == 2 ? argmax(out, 1) : std::vector<int64_t>(s.x.size(0), -1),
      class_names_of(run ? a.source : ""));
  if (a.what == "saliency") {
    report::save_figure(report::saliency_grid(nn::saliency(model, s.x, classes), captions), a.out);
    return;
  }
  nn::ActivationMap cam;
  if (a.layer.empty()) {
    try {
      cam = nn::class_activation_map(model, s.x, classes);
    } catch (const UsageError&) {
      cam = nn::grad_cam(model, s.x, "", classes);  // no GAP head
    }
  } else {
    cam = nn::grad_cam(model, s.x, a.layer, classes);
  }
  report::save_figure(report::cam_grid(cam, captions), a.out);
}

}  // namespace

Run add_show(CLI::App& app) {
  auto* cmd = app.add_subcommand("show",
                                 "Draw one picture: filters, features, saliency, cam, "
                                 "confusion or curves");
  auto a = std::make_shared<ShowArgs>();
  cmd->add_option("what", a->what, "filters | features | saliency | cam | confusion | curves")
      ->required()
      ->check(CLI::IsMember({"filters", "features", "saliency", "cam", "confusion", "curves"}));
  cmd->add_option("source", a->source,
                  "a run folder, or (filters, features, saliency, cam) a zoo name or model .toml")
      ->required();
  cmd->add_option("--out,-o", a->out, "the picture to write (.png or .svg)")->required();
  cmd->add_option("--weights", a->weights, "weights (.safetensors); default RUN/model.safetensors");
  cmd->add_option("--input", a->input, "inputs: .npz, .npy, IDX or .png (default RUN/samples.npz)");
  cmd->add_option("--array", a->array, "array of an .npz input (default x)");
  cmd->add_option("--index", a->index, "first sample of the input file")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--count", a->count, "samples for saliency and cam (default 1)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--layer", a->layer,
                  "layer path: filters (default the first Conv2d), features (required), cam "
                  "(Grad-CAM at this layer; default CAM or Grad-CAM at the last Conv2d)");
  cmd->add_option("--class", a->cls, "class explained by saliency/cam (default: the predicted)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--metric", a->metric,
                  "curves: loss, lr, throughput or a metric (accuracy, ...)");
  return [a] {
    if (a->what == "confusion" || a->what == "curves")
      show_run_picture(*a);
    else
      show_model_picture(*a);
    std::printf("wrote %s\n", a->out.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

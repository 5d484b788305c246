// `physcnn eval`: loss and metrics of trained weights on a data set — a run folder's test split,
// or a model + weights + data file given directly; writes eval.json (and roc.png beside it for
// binary classifiers: AUC and background rejection at 50 % signal efficiency).
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/dataset.hpp"
#include "train/experiment.hpp"
#include "train/metric_sets.hpp"
#include "train/run_dir.hpp"
#include "viz/roc_plot.hpp"

namespace physcnn::cli {

namespace fs = std::filesystem;

data::DatasetPtr open_data_file(const std::string& path, const std::string& x_name,
                                const std::string& y_name, const std::string& labels,
                                const data::ArrayOptions& options) {
  const std::string ext = fs::path(path).extension().string();
  if (fs::is_directory(path)) return data::open_image_folder(path);
  if (!fs::exists(path)) throw IoError("data file " + path + " does not exist");
  if (ext == ".npz") return data::open_npz(path, x_name, y_name, options);
  if (ext == ".h5" || ext == ".hdf5") return data::open_hdf5(path, x_name, y_name, options);
  PHYSCNN_CHECK_ARG(!labels.empty(), path,
                    ": .npy and IDX inputs need their labels file too (--labels)");
  if (ext == ".npy") return data::open_npy(path, labels, options);
  return data::open_idx(path, labels);  // IDX, raw or .gz
}

Run add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate trained weights: `physcnn eval RUN` (the run's test split), or\n"
      "`physcnn eval --model M --weights W --data FILE` (M: zoo name or model .toml).");
  struct Args {
    std::string run, model, weights, data, labels, x = "x", y = "y", loss = "cross_entropy", out,
                                                   metrics;
    int64_t batch_size = 256, top_k = 5;
    bool quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("run", a->run, "a run folder of `physcnn train`");
  cmd->add_option("--model", a->model, "zoo name or model .toml (without a run folder)");
  cmd->add_option("--weights", a->weights, "weights (.safetensors) for --model");
  cmd->add_option("--data", a->data,
                  "data: .npz, .h5, .npy (+ --labels), IDX images (+ --labels), or a PNG folder");
  cmd->add_option("--labels", a->labels, "labels file for .npy / IDX data");
  cmd->add_option("--x", a->x, "input array name in .npz/.h5 (default x)");
  cmd->add_option("--y", a->y, "label array name in .npz/.h5 (default y)");
  cmd->add_option("--loss", a->loss,
                  "cross_entropy, mse, bce, pixel_cross_entropy, dice, focal, or a sum "
                  "(\"pixel_cross_entropy + 0.5*dice\")");
  cmd->add_option("--metrics", a->metrics,
                  "a metric set for the task (airshower: energy, angular and core resolution); "
                  "with a run folder, the experiment's `metrics` by default");
  cmd->add_option("--batch-size", a->batch_size, "evaluation batch size")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", a->out, "write eval.json here (default: RUN/eval.json with a run)");
  cmd->add_flag("--quiet,-q", a->quiet, "print nothing");
  return [a] {
    ModelSpec spec;
    data::DatasetPtr set;
    train::LossKind loss = train::parse_loss(a->loss);
    int64_t top_k = 5;
    std::vector<std::string> class_names;
    std::string weights = a->weights, out = a->out, metrics = a->metrics;
    if (!a->run.empty()) {
      PHYSCNN_CHECK_ARG(a->model.empty(), "eval: give a run folder or --model, not both");
      train::Experiment e;
      spec = load_run_model(a->run, &e);
      loss = e.loss;
      top_k = e.top_k;
      if (metrics.empty()) metrics = e.metrics;
      if (weights.empty()) weights = (fs::path(a->run) / "model.safetensors").string();
      if (out.empty()) out = (fs::path(a->run) / "eval.json").string();
      if (a->data.empty()) {
        const train::ExperimentData d = train::open_data(e, spec.input);
        PHYSCNN_CHECK_ARG(d.test != nullptr,
                          "eval: the run's experiment has no test split; "
                          "give --data");
        set = d.test;
        class_names = d.class_names;
      }
    } else {
      PHYSCNN_CHECK_ARG(!a->model.empty() && !a->weights.empty() && !a->data.empty(),
                        "eval: give a run folder, or --model, --weights and --data");
      spec = load_model_spec(a->model, 0);
    }
    if (!set)
      set = open_data_file(a->data, a->x, a->y, a->labels,
                           train::array_options_for(spec.input, false));
    if (class_names.empty()) class_names = set->class_names();
    {
      // Data that does not fit the model (shape, labels beyond its outputs): a clear error first.
      train::ExperimentData fit;
      fit.test = set;
      fit.sample_shape = set->sample_shape();
      const Shape output =
          train::check_model_fits_data(*spec.model, spec.input, a->run.empty() ? a->model : a->run,
                                       fit, loss, !spec.file.empty());
      top_k = train::effective_top_k(top_k, output);
      if (!metrics.empty())
        train::check_metric_set(metrics, output, !train::is_classification(loss));
    }
    spec.model->build(set->sample_shape());
    const auto stats = train::load_model(weights, *spec.model);
    data::DataLoader loader(set, {.batch_size = a->batch_size, .shuffle = false},
                            train::eval_transform(stats));
    const train::Evaluation ev = train::evaluate(*spec.model, loader, loss, top_k, metrics);
    const std::string json =
        train::eval_json(ev, loss, class_names, a->data.empty() ? "test" : a->data);
    if (!out.empty()) train::write_text_atomic(out, json);
    std::string roc_png;
    if (ev.roc && !out.empty()) {
      // The ROC picture beside eval.json (binary classifiers only).
      roc_png = (fs::path(out).parent_path() / "roc.png").string();
      const train::Roc curve = train::thin(*ev.roc, 500);
      viz::roc_plot({{.signal_efficiency = curve.signal_efficiency,
                      .background_efficiency = curve.background_efficiency,
                      .auc = ev.roc->auc}})
          .save_png(roc_png);
    }
    if (!a->quiet) {
      for (const auto& [k, v] : ev.values()) std::printf("%s %.6g\n", k.c_str(), v);
      if (ev.roc)
        std::printf("auc %.6g\nrejection_at_50 %.6g\n", ev.roc->auc, ev.roc->rejection_at_50);
      std::printf("samples %lld\n", static_cast<long long>(ev.samples));
      if (!out.empty()) std::fprintf(stderr, "wrote %s\n", out.c_str());
      if (!roc_png.empty()) std::fprintf(stderr, "wrote %s\n", roc_png.c_str());
    }
    return 0;
  };
}

}  // namespace physcnn::cli

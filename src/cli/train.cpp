// `physcnn train EXPERIMENT.toml`: trains as the experiment file says (every field overridable
// with --set and shortcuts), into a run folder with metrics, checkpoints, weights, test-set
// evaluation and the report; --resume continues a run exactly.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/zoo.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/parallel.hpp"
#include "nn/summary.hpp"
#include "report/report.hpp"
#include "train/checkpoint.hpp"
#include "train/experiment.hpp"
#include "train/run_dir.hpp"

namespace physcnn::cli {

namespace fs = std::filesystem;

ModelSpec load_model_spec(const std::string& spec, uint64_t seed) {
  ResolvedModel r = resolve_model(spec, seed);
  const bool file = spec.ends_with(".toml") || fs::is_regular_file(spec);
  return {.model = r.model, .input = r.input, .file = file ? spec : ""};
}

ModelSpec load_run_model(const std::string& run_dir, train::Experiment* experiment) {
  const fs::path run(run_dir);
  require_directory(run_dir, "run folder");
  train::Experiment e = train::load_experiment((run / "experiment.toml").string());
  // A model file was copied into the run: use the copy (the original may have changed since).
  ModelSpec m = load_model_spec(e.model_is_file ? (run / "model.toml").string() : e.model, e.seed);
  if (experiment) *experiment = e;
  return m;
}

namespace {

// Set by SIGINT/SIGTERM; the trainer stops after the current step, so RUNNING is removed and
// the checkpoints stay consistent.
volatile std::sig_atomic_t g_stop = 0;
extern "C" void request_stop(int) {
  g_stop = 1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw IoError("cannot read " + path);
  return ss.str();
}

void print_test(const train::Evaluation& ev, train::LossKind loss) {
  std::string line = "test:";
  char buf[64];
  for (const auto& [k, v] : ev.values()) {
    std::snprintf(buf, sizeof buf, "  %s %.4f", k.c_str(), v);
    line += buf;
  }
  std::printf("%s  (%lld samples, loss %s)\n", line.c_str(), static_cast<long long>(ev.samples),
              train::loss_name(loss).c_str());
}

}  // namespace

Run add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train",
      "Train a model as an experiment file (TOML) describes; see docs/training.md.\n"
      "Writes a run folder: metrics.csv/json, checkpoints/, model.safetensors, eval.json, "
      "index.html.");
  struct Args {
    std::string experiment, out, resume;
    std::vector<std::string> set;
    int epochs = 0;
    int64_t batch_size = 0;
    double lr = 0;
    int64_t seed = -1;
    bool quiet = false, no_report = false, force = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("experiment", a->experiment, "experiment file (.toml)")->required();
  cmd->add_option("--set", a->set, "override a field: --set optimizer.lr=0.01 (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--epochs", a->epochs, "shortcut for --set epochs=N")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", a->batch_size, "shortcut for --set batch_size=N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lr", a->lr, "shortcut for --set optimizer.lr=X")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->seed, "shortcut for --set seed=N")->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", a->out, "run folder (shortcut for --set out=DIR)");
  cmd->add_option("--resume", a->resume,
                  "continue a run: its folder or a checkpoint file (same experiment and seed)");
  cmd->add_flag("--force", a->force, "train into a run folder that already holds a run");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress output");
  cmd->add_flag("--no-report", a->no_report, "do not write index.html and its pictures");
  return [a, &app] {
    std::vector<train::Override> overrides;
    for (const auto& s : a->set) overrides.push_back(train::parse_override(s));
    char buf[64];
    if (a->epochs > 0) overrides.push_back({"epochs", std::to_string(a->epochs)});
    if (a->batch_size > 0) overrides.push_back({"batch_size", std::to_string(a->batch_size)});
    if (a->lr > 0) {
      std::snprintf(buf, sizeof buf, "%.17g", a->lr);
      overrides.push_back({"optimizer.lr", buf});
    }
    if (a->seed >= 0) overrides.push_back({"seed", std::to_string(a->seed)});
    std::string checkpoint;
    if (!a->resume.empty()) {
      checkpoint = train::find_checkpoint(a->resume);
      // Resuming a run folder writes into it unless told otherwise.
      if (a->out.empty() && fs::is_directory(a->resume)) a->out = a->resume;
    }
    if (!a->out.empty()) overrides.push_back({"out", "\"" + a->out + "\""});
    train::Experiment e = train::load_experiment(a->experiment, overrides);
    if (e.threads > 0 && app.get_option("--threads")->count() == 0) set_num_threads(e.threads);

    const fs::path run(e.out);
    if (checkpoint.empty() && !a->force &&
        (fs::exists(run / "metrics.csv") || fs::exists(run / "checkpoints" / "last.safetensors")))
      throw UsageError("run folder " + e.out + " already holds a run: continue it with --resume " +
                       e.out + ", choose another --out, or pass --force to overwrite");
    const train::ExperimentData data = train::open_data(e);
    ModelSpec spec = load_model_spec(e.model, e.seed);
    nn::Module& model = *spec.model;
    const Shape input = data.sample_shape;
    // Misfits between data and model are found here, before the run folder exists.
    const Shape output = train::check_model_fits_data(model, spec.input, e.model, data, e.loss);
    e.top_k = train::effective_top_k(e.top_k, output);

    train::RunDir dir(e.out);
    train::write_text_atomic(dir.file("experiment.toml"), e.resolved_toml);
    train::write_text_atomic(dir.file("model.toml"), spec.file.empty()
                                                         ? "# zoo model: " + e.model + "\n"
                                                         : read_text(spec.file));
    train::write_text_atomic(dir.file("summary.txt"), nn::format_summary(model.summary(input)));

    data::DataLoader train_loader(
        data.train,
        {.batch_size = e.batch_size, .shuffle = true, .seed = e.seed, .workers = e.data.workers},
        data.train_transform);
    const int64_t eval_batch = std::max<int64_t>(256, e.batch_size);
    std::unique_ptr<data::DataLoader> val_loader, test_loader;
    if (data.validation)
      val_loader = std::make_unique<data::DataLoader>(
          data.validation,
          data::LoaderOptions{
              .batch_size = eval_batch, .shuffle = false, .workers = e.data.workers},
          data.eval_transform);
    if (data.test)
      test_loader = std::make_unique<data::DataLoader>(
          data.test,
          data::LoaderOptions{
              .batch_size = eval_batch, .shuffle = false, .workers = e.data.workers},
          data.eval_transform);

    auto optimizer = train::make_optimizer(e, model);
    auto scheduler = train::make_scheduler(e, *optimizer);
    train::Trainer trainer(model, *optimizer, scheduler.get(),
                           train::trainer_options(e, dir.checkpoints(), a->quiet));
    if (!checkpoint.empty()) {
      trainer.resume(checkpoint);
      if (!a->quiet)
        std::fprintf(stderr, "resumed from %s at epoch %d (step %lld)\n", checkpoint.c_str(),
                     trainer.epochs_done(), static_cast<long long>(trainer.steps_done()));
    }
    // samples.npz first, so the live report can show feature maps from the first epoch on.
    const data::DatasetPtr sample_set =
        data.test ? data.test : (data.validation ? data.validation : data.train);
    train::write_samples(dir.file("samples.npz"), *sample_set, data.eval_transform);
    auto report = [&] {
      if (a->no_report) return;
      try {
        report::write_run_report(e.out, {.model = spec.model, .load_weights = false});
      } catch (const Error& err) {  // the report is a view: training goes on without it
        std::fprintf(stderr, "physcnn: warning: report not written: %s\n", err.what());
      }
    };
    trainer.on_epoch = [&](const train::EpochRecord&) {
      train::write_metrics(e.out, trainer.history(), e.loss, e.top_k, data.class_names);
      report();
    };
    trainer.should_stop = [] { return g_stop != 0; };
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    // The handlers stay until the end: a Ctrl-C during the test evaluation used to kill the
    // process with the default action, leaving RUNNING (a report reloading forever).
    struct RestoreSignals {
      ~RestoreSignals() {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
      }
    } restore;
    trainer.fit(train_loader, val_loader.get());
    train::write_metrics(e.out, trainer.history(), e.loss, e.top_k, data.class_names);
    train::save_model(dir.file("model.safetensors"), model, data.stats);
    if (g_stop)
      throw train::Interrupted("interrupted after training, before the test evaluation; " +
                               dir.file("model.safetensors") + " is written (physcnn eval " +
                               e.out + " evaluates it)");
    if (trainer.stopped_early() && e.early_stopping.restore_best && !a->quiet)
      std::fprintf(stderr, "restored the weights of epoch %d (best %s)\n", trainer.best_epoch(),
                   e.early_stopping.monitor.c_str());
    if (test_loader) {
      const train::Evaluation ev = train::evaluate_loader(model, *test_loader, e.loss, e.top_k);
      train::write_text_atomic(dir.file("eval.json"),
                               train::eval_json(ev, e.loss, data.class_names, "test"));
      print_test(ev, e.loss);
    }
    {
      // RUNNING goes before the final report, so the finished page stops reloading.
      std::error_code ignored;
      fs::remove(dir.file("RUNNING"), ignored);
    }
    report();
    if (!a->quiet) std::fprintf(stderr, "run folder: %s\n", e.out.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

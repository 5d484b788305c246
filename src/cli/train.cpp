// `physcnn train EXPERIMENT.toml`: trains as the experiment file says (every field overridable
// with --set and shortcuts), into a run folder with metrics, checkpoints, weights, test-set
// evaluation and the report; --resume continues a run exactly.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/stop_signal.hpp"
#include "cli/zoo.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "dist/comm.hpp"
#include "report/report.hpp"
#include "train/checkpoint.hpp"
#include "train/experiment.hpp"
#include "train/run_experiment.hpp"

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
    std::string experiment, out, resume, init;
    std::vector<std::string> set;
    int epochs = -1;
    int64_t batch_size = 0;
    double lr = 0;
    int64_t seed = -1;
    bool quiet = false, no_report = false, force = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("experiment", a->experiment, "experiment file (.toml)")->required();
  cmd->add_option("--set", a->set, "override a field: --set optimizer.lr=0.01 (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--epochs", a->epochs,
                  "shortcut for --set epochs=N (0: evaluate and save the initial weights)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-size", a->batch_size, "shortcut for --set batch_size=N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lr", a->lr, "shortcut for --set optimizer.lr=X")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->seed, "shortcut for --set seed=N")->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", a->out, "run folder (shortcut for --set out=DIR)");
  cmd->add_option("--resume", a->resume,
                  "continue a run: its folder or a checkpoint file (same experiment and seed)");
  cmd->add_option("--init", a->init,
                  "start from these weights (.safetensors: a run's model or checkpoint, or a "
                  "PyTorch state_dict) with a new optimizer");
  cmd->add_flag("--force", a->force, "train into a run folder that already holds a run");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress output");
  cmd->add_flag("--no-report", a->no_report, "do not write index.html and its pictures");
  return [a, &app] {
    // Ctrl-C or SIGTERM stops after the current step, from here to the end: a signal while the
    // data loads (a slow start) used to end the process without a word, one during the test
    // evaluation left RUNNING and a report reloading forever.
    const StopOnSignal stop;
    std::vector<train::Override> overrides;
    for (const auto& s : a->set) overrides.push_back(train::parse_override(s));
    char buf[64];
    if (a->epochs >= 0) overrides.push_back({"epochs", std::to_string(a->epochs)});
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
    // The run records its folder in experiment.toml and metrics.json, which hold only UTF-8 (a
    // name in Latin-1 ended in "internal error: Encountered invalid utf-8 sequence").
    PHYSCNN_CHECK(is_valid_utf8(a->out), IoError, "--out: run folder name '", a->out,
                  "' is not valid UTF-8 (the run records it in experiment.toml and "
                  "metrics.json); choose a UTF-8 name");
    if (!a->out.empty()) overrides.push_back({"out", "\"" + a->out + "\""});
    const train::Experiment e = train::load_experiment(a->experiment, overrides);
    if (e.threads > 0 && app.get_option("--threads")->count() == 0) set_num_threads(e.threads);
    // Under mpirun every rank trains a block of each batch (docs/mpi.md); the ranks on one node
    // share its cores unless the experiment or --threads says otherwise.
    const dist::Comm& world = dist::Comm::world();
    const int on_node = world.ranks_on_node();
    if (world.distributed() && e.threads == 0 && app.get_option("--threads")->count() == 0)
      set_num_threads(std::max(1, num_threads() / on_node));
    const bool root = world.is_root();
    const ModelSpec spec = load_model_spec(e.model, e.seed);
    auto report = [&](const std::string& run_dir) {
      if (a->no_report || !root) return;
      try {
        report::write_run_report(run_dir, {.model = spec.model, .load_weights = false});
      } catch (const Error& err) {  // the report is a view: training goes on without it
        std::fprintf(stderr, "physcnn: warning: report not written: %s\n",
                     printable(err.what()).c_str());
      }
    };
    train::RunOptions run;
    run.model = spec.model;
    run.model_input = spec.input;
    run.input_declared = !spec.file.empty();
    run.init = a->init;
    run.model_file_text = spec.file.empty() ? "" : read_text(spec.file);
    run.resume = checkpoint;
    run.force = a->force;
    run.quiet = a->quiet;
    run.should_stop = [] { return StopOnSignal::requested(); };
    run.on_epoch = report;
    run.comm = &world;
    const train::ExperimentResult r = train::run_experiment(e, run);
    if (!root) return 0;  // rank 0 alone prints and writes
    if (r.test) print_test(*r.test, e.loss);
    report(r.run_dir);  // RUNNING is gone: the finished page stops reloading
    if (!a->quiet) std::fprintf(stderr, "run folder: %s\n", printable(r.run_dir).c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

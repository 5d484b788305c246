// The body of `physcnn train`: an experiment from data to evaluated weights in a run folder.
#include "train/run_experiment.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/log.hpp"
#include "nn/summary.hpp"
#include "train/metric_sets.hpp"
#include "train/run_dir.hpp"

namespace physcnn::train {

namespace fs = std::filesystem;

namespace {

// Rank 0's first files: notes on a killed run, experiment.toml, model.toml, summary.txt.
void write_run_start(RunDir& dir, const Experiment& e, const RunOptions& o, nn::Module& model,
                     const Shape& sample_shape) {
  if (dir.killed_run() != 0)
    std::fprintf(stderr,
                 "physcnn: note: the previous run in %s (%s) did not finish: it was killed or "
                 "crashed%s\n",
                 printable(e.out).c_str(),
                 dir.killed_run() > 0 ? ("process " + std::to_string(dir.killed_run())).c_str()
                                      : "process unknown",
                 o.resume.empty() ? "; this run starts anew" : "; resuming from its checkpoint");
  if (!dir.removed_temporaries().empty() && !o.quiet)
    std::fprintf(stderr, "removed %zu temporary files left by killed runs in %s\n",
                 dir.removed_temporaries().size(), printable(e.out).c_str());
  write_text_atomic(dir.file("experiment.toml"), e.resolved_toml);
  write_text_atomic(dir.file("model.toml"), o.model_file_text.empty()
                                                ? "# zoo model: " + e.model + "\n"
                                                : o.model_file_text);
  write_text_atomic(dir.file("summary.txt"), nn::format_summary(model.summary(sample_shape)));
}

// What the overlap of the gradient all-reduce achieved (docs/mpi.md).
void print_sync_stats(const GradSyncStats& s) {
  std::fprintf(stderr,
               "gradient all-reduce: %.2f MB per step in %d buckets; %.0f%% of the buckets "
               "started during the backward pass; %.2f ms per step waited for after it\n",
               double(s.bytes) / 1e6, s.buckets,
               100.0 * double(s.started_early) / double(std::max<int64_t>(1, s.steps * s.buckets)),
               1e3 * s.exposed_seconds / double(s.steps));
}

}  // namespace

ExperimentResult run_experiment(const Experiment& experiment, const RunOptions& o) {
  PHYSCNN_CHECK_ARG(o.model != nullptr, "run_experiment: no model for experiment ",
                    experiment.source);
  Experiment e = experiment;
  const dist::Comm* comm = o.comm && o.comm->distributed() ? o.comm : nullptr;
  const bool root = !comm || comm->is_root();  // the one rank that writes and prints
  const bool quiet = o.quiet || !root;
  // An existing folder is locked before anything reads it: a run writing it refuses us.
  std::optional<RunLock> lock;
  if (root && fs::is_directory(e.out)) lock.emplace(e.out);
  const bool may_hold_run = !o.resume.empty() || o.force;
  if (root && !may_hold_run) refuse_existing_run(e.out);
  PHYSCNN_CHECK_ARG(o.init.empty() || o.resume.empty(),
                    "give initial weights (--init) or a run to resume (--resume), not both");
  const ExperimentData data = open_data(e, o.model_input);
  nn::Module& model = *o.model;
  // Misfits between data and model are found here, before the run folder exists.
  const Shape output =
      check_model_fits_data(model, o.model_input, e.model, data, e.loss, o.input_declared);
  if (!o.init.empty()) {
    // The given weights, with a new optimizer; mismatched shapes are listed per parameter. The
    // normalisation statistics stay the ones of this run's training data.
    load_model(o.init, model);
    if (!quiet) std::fprintf(stderr, "initial weights from %s\n", o.init.c_str());
  }
  e.top_k = effective_top_k(e.top_k, output);
  if (!e.metrics.empty()) check_metric_set(e.metrics, output, !is_classification(e.loss));

  if (o.should_stop && o.should_stop())
    throw Interrupted("interrupted while loading, before training started (nothing written)");
  ExperimentResult result;
  result.run_dir = e.out;
  result.top_k = e.top_k;
  std::optional<RunDir> run_dir;
  if (root) run_dir.emplace(e.out, may_hold_run, std::move(lock));
  const auto file = [&](const char* name) { return (fs::path(e.out) / name).string(); };
  const std::string checkpoints = file("checkpoints");
  if (root) write_run_start(*run_dir, e, o, model, data.sample_shape);
  const data::LoaderOptions eval_options{.batch_size = std::max<int64_t>(256, e.batch_size),
                                         .shuffle = false,
                                         .workers = e.data.workers,
                                         .rank = comm ? comm->rank() : 0,
                                         .ranks = comm ? comm->size() : 1};
  data::DataLoader train_loader(data.train,
                                {.batch_size = e.batch_size,
                                 .shuffle = true,
                                 .seed = e.seed,
                                 .workers = e.data.workers,
                                 .rank = eval_options.rank,
                                 .ranks = eval_options.ranks},
                                data.train_transform);
  std::unique_ptr<data::DataLoader> val_loader, test_loader;
  if (data.validation)
    val_loader =
        std::make_unique<data::DataLoader>(data.validation, eval_options, data.eval_transform);
  if (data.test)
    test_loader = std::make_unique<data::DataLoader>(data.test, eval_options, data.eval_transform);

  auto optimizer = make_optimizer(e, model);
  // Without epochs no schedule ever steps (a per-epoch cosine would have no length).
  auto scheduler = e.epochs > 0 ? make_scheduler(e, *optimizer) : nullptr;
  TrainerOptions trainer_opts = trainer_options(e, checkpoints, quiet);
  trainer_opts.comm = comm;
  Trainer trainer(model, *optimizer, scheduler.get(), trainer_opts);
  if (!o.resume.empty()) {
    trainer.resume(o.resume);
    if (!quiet)
      std::fprintf(stderr, "resumed from %s at epoch %d (step %lld)\n", printable(o.resume).c_str(),
                   trainer.epochs_done(), static_cast<long long>(trainer.steps_done()));
  }
  if (comm && !quiet)
    std::fprintf(stderr, "data parallel: %d ranks, global batch %lld (%lld per rank)%s\n",
                 comm->size(), static_cast<long long>(e.batch_size),
                 static_cast<long long>((e.batch_size + comm->size() - 1) / comm->size()),
                 e.sync_batch_norm ? ", synchronised batch norm" : "");
  // samples.npz first, so the live report can show feature maps from the first epoch on.
  const data::DatasetPtr sample_set =
      data.test ? data.test : (data.validation ? data.validation : data.train);
  if (root) write_samples(file("samples.npz"), *sample_set, data.eval_transform);
  trainer.on_epoch = [&](const EpochRecord&) {
    if (!root) return;
    write_metrics(e.out, trainer.history(), e.loss, e.top_k, data.class_names, e.metrics);
    if (o.on_epoch) o.on_epoch(e.out);
  };
  trainer.should_stop = o.should_stop;
  trainer.fit(train_loader, val_loader.get());
  if (const GradientSync* sync = trainer.gradient_sync(); sync && !quiet && sync->stats().steps)
    print_sync_stats(sync->stats());
  if (root) {
    write_metrics(e.out, trainer.history(), e.loss, e.top_k, data.class_names, e.metrics);
    save_model(file("model.safetensors"), model, data.stats);
  }
  if (o.should_stop && o.should_stop())
    throw Interrupted("interrupted after training, before the test evaluation; " +
                      file("model.safetensors") + " is written (physcnn eval " + e.out +
                      " evaluates it)");
  if (trainer.stopped_early() && e.early_stopping.restore_best && !quiet)
    std::fprintf(stderr, "restored the weights of epoch %d (best %s)\n", trainer.best_epoch(),
                 e.early_stopping.monitor.c_str());
  if (test_loader) {
    result.test = evaluate(model, *test_loader, e.loss, e.top_k, e.metrics, comm);
    if (root)
      write_text_atomic(file("eval.json"),
                        eval_json(*result.test, e.loss, data.class_names, "test"));
  }
  result.history = trainer.history();
  result.epochs_done = trainer.epochs_done();
  result.stopped_early = trainer.stopped_early();
  result.best_epoch = trainer.best_epoch();
  return result;
}

}  // namespace physcnn::train

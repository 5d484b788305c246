// run_experiment: what `physcnn train` runs, as C++ API (the CLI only parses its arguments):
// the experiment's data and model checked against each other, the run folder, training with
// checkpoints and resume, the final weights and the test-set evaluation.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.hpp"
#include "dist/comm.hpp"
#include "nn/module.hpp"
#include "train/experiment.hpp"
#include "train/loop.hpp"

namespace physcnn::train {

struct RunOptions {
  // The experiment's model, unweighted (the caller resolves zoo names and model files), and the
  // input shape it declares.
  std::shared_ptr<nn::Module> model;
  Shape model_input;
  bool input_declared = false;  // a model file's `input`: the samples must have that shape
  // Weights to start from (a .safetensors of `physcnn train` or PyTorch's state_dict; checkpoint
  // optimizer state is ignored), "" for the model's own initialisation. Not with `resume`.
  std::string init;
  // Written to RUN/model.toml; empty: "# zoo model: <name>".
  std::string model_file_text;
  // A checkpoint to continue from (find_checkpoint), or "" for a new run.
  std::string resume;
  bool force = false;  // train into a run folder that already holds a run
  bool quiet = false;
  // Polled after every step (Ctrl-C): true stops with Interrupted, checkpoints kept.
  std::function<bool()> should_stop;
  // After every epoch, once RUN/metrics.* are written (the live report), with the run folder.
  // Called on rank 0 only.
  std::function<void(const std::string& run_dir)> on_epoch;
  // Data parallel over these ranks (docs/mpi.md): every rank runs run_experiment with the same
  // experiment; batch_size is the global batch, each rank reads its block of every batch; rank 0
  // alone locks and writes the run folder. Null: one process.
  const dist::Comm* comm = nullptr;
};

struct ExperimentResult {
  std::string run_dir;
  std::vector<EpochRecord> history;
  int epochs_done = 0;
  bool stopped_early = false;
  int best_epoch = 0;
  int64_t top_k = 1;               // the top-k column used (effective_top_k)
  std::optional<Evaluation> test;  // with a test set
};

// Trains `experiment` into its run folder (experiment.out): experiment.toml, model.toml,
// summary.txt, samples.npz, metrics.csv/json after every epoch, checkpoints/, model.safetensors
// and eval.json; RUN/RUNNING while it runs. UsageError before anything is written when the
// folder holds a run and neither resume nor force is given, or the model does not fit the data.
ExperimentResult run_experiment(const Experiment& experiment, const RunOptions& options);

}  // namespace physcnn::train

// The benchmark workloads W1-W5 (bench/README.md) and the runner that measures them (training and
// inference images/s, batch-1 latency, peak memory, GFLOP/s). Shared by `physcnn bench` and
// bench/run_bench; bench/torch_workloads.py measures PyTorch with the same procedure.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/shape.hpp"
#include "data/loader.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "tensor/tensor.hpp"
#include "train/train_step.hpp"

namespace physcnn::bench {

enum class OptimizerKind { Sgd, SgdMomentum, Adam };

struct Workload {
  std::string id;                      // "w1"
  std::string model;                   // zoo name, "lenet5"
  Shape input;                         // one sample, C,H,W
  std::vector<int64_t> train_batches;  // {32, 128}
  int64_t infer_batch = 256;
  int64_t classes = 10;
  bool per_pixel = false;  // targets (N,H*W): per-pixel cross-entropy
  bool spins = false;      // inputs are +-1 (Ising lattices) instead of standard normal
  OptimizerKind optimizer = OptimizerKind::Sgd;
  double lr = 0.01;
};

const std::vector<Workload>& workloads();
// "w1,w3" or "all" (case-insensitive); UsageError naming the unknown id and the known ones.
std::vector<Workload> parse_workloads(const std::string& list);

// The workload's model (built lazily: call summary/build before creating the optimizer), its
// optimizer, and one batch of random inputs (standard normal, or +-1 spins) with class targets.
nn::ModulePtr make_workload_model(const Workload& w, uint64_t seed);
std::unique_ptr<optim::Optimizer> make_workload_optimizer(const Workload& w,
                                                          const std::vector<nn::Var>& params);
// Per-sample class labels, or per-pixel class targets (N, H*W) for the U-Net.
data::Batch make_batch(const Workload& w, int64_t batch, Rng& rng);
// cross_entropy, or pixel_cross_entropy for a per-pixel workload. The benchmark times the
// trainer's own step, train::train_step, with this loss.
train::LossKind workload_loss(const Workload& w);

struct BenchOptions {
  int reps = 5;                   // timed repetitions per figure; the median is reported
  int warmup = 3;                 // untimed steps before each series (allocator, JIT, caches)
  double min_rep_seconds = 0.25;  // a repetition runs enough steps to last about this long
  uint64_t seed = 0;
};
// Tiny settings for smoke tests: 3 repetitions of one step after one warm-up step.
BenchOptions quick_options();

// Median with the range over the repetitions.
struct Stat {
  double median = 0, min = 0, max = 0;
  std::vector<double> samples;
};
Stat make_stat(std::vector<double> samples);

struct TrainFigure {
  int64_t batch = 0;
  int64_t steps_per_rep = 0;
  Stat images_per_s;
  Stat images_per_cpu_s;  // per second of process CPU time (robust on a loaded machine)
};

struct WorkloadResult {
  Workload workload;
  int64_t params = 0;
  int64_t macs_per_sample = 0;  // forward multiply-adds, from Module::summary
  std::vector<TrainFigure> train;
  int64_t infer_steps_per_rep = 0;
  Stat infer_images_per_s;  // at workload.infer_batch, eval mode, no_grad
  Stat infer_images_per_cpu_s;
  int64_t latency_steps_per_rep = 0;
  Stat latency_ms;  // batch 1, eval mode, no_grad
  Stat latency_cpu_ms;
  // Resident memory in MiB: before the workload (after the peak was reset) and the peak while
  // it ran. Both include the process's own baseline (code, libraries, earlier workloads' heap).
  double rss_before_mib = 0, peak_rss_mib = 0;
  bool peak_reset = false;  // false when /proc/self/clear_refs was not writable: peak is lifetime
};

// Builds the model and data of one workload and measures every figure.
WorkloadResult run_workload(const Workload& w, const BenchOptions& options);

// Forward FLOPs = 2 x multiply-adds; a training step counts 3 x forward (forward, and the
// gradients with respect to inputs and weights), the convention of the literature.
double forward_flops(const WorkloadResult& r);

// A JSON document {"framework": "physcnn", "threads": n, "options": ..., "workloads": [...]}.
std::string results_json(const std::vector<WorkloadResult>& results, const BenchOptions& options,
                         int threads);
// The human-readable table.
std::string format_results(const std::vector<WorkloadResult>& results, int threads);

// Where the training time goes: each module's forward and backward CPU milliseconds (self time),
// the loss, zero_grad and the optimizer step, measured inside the real training step (fusions
// and model graphs as they run) at the workload's first training batch.
std::string profile_layers(const Workload& w, const BenchOptions& options);
// Which convolution implementation (kernels/conv_dispatch.cpp) ran each pass of each conv
// geometry of one training step and one batch-1 inference.
std::string explain_convs(const Workload& w, const BenchOptions& options);

// The command line shared by `physcnn bench` and bench/run_bench.
struct BenchArgs {
  std::string workloads = "all";
  int reps = 5, warmup = 3;
  double min_time = 0.25;
  int threads = 0;
  std::string json;
  bool quick = false;
  bool profile = false;
  bool explain = false;
  // Inference only (no training series), at this batch instead of the workload's (0: its own);
  // bench/onnxruntime compares these figures with ONNX Runtime's.
  bool infer_only = false;
  int64_t infer_batch = 0;
};
void add_bench_options(CLI::App& cmd, BenchArgs& args);
int run_bench_command(const BenchArgs& args);
// The --help description of the command.
extern const char* const kBenchDescription;

}  // namespace physcnn::bench

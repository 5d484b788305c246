// The benchmark's command line (shared by `physcnn bench` and bench/run_bench) and the per-layer
// profile that shows where a training step's time goes.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "autograd/functional.hpp"
#include "cli/bench_workloads.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::bench {

namespace ag = autograd;
using autograd::Var;

const char* const kBenchDescription =
    "Measure the benchmark workloads of design.md on random float32 data:\n"
    "  w1 lenet5 1x28x28 (SGD momentum)   w2 fmnist_bn 1x28x28 (Adam)\n"
    "  w3 ising_cnn 1x32x32 +-1 spins (SGD momentum)\n"
    "  w4 unet_small 1x64x64, per-pixel cross-entropy (Adam)   w5 tinyvgg 3x64x64 (SGD)\n"
    "Figures per workload: training images/s (forward, cross-entropy, backward, optimizer step)\n"
    "at batch 32 and 128 (w4: 8 and 32); inference images/s in eval mode without gradients at\n"
    "batch 256 (w4: 32); batch-1 inference latency; peak resident memory (VmHWM, reset before\n"
    "each workload; run one workload per process for a clean figure); GFLOP/s with forward\n"
    "FLOPs = 2 x the summary's multiply-adds and a training step = 3 x forward.\n"
    "Each figure is the median (with min-max) over --reps repetitions; a repetition runs as\n"
    "many steps as last --min-time seconds, after --warmup untimed steps.\n"
    "bench/compare.py runs this and the same workloads in PyTorch side by side.";

void add_bench_options(CLI::App& cmd, BenchArgs& a) {
  cmd.add_option("--workloads", a.workloads, "comma-separated: w1,w2,w3,w4,w5 or all")
      ->capture_default_str();
  cmd.add_option("--reps", a.reps, "timed repetitions per figure (median reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--warmup", a.warmup, "untimed steps before each series")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd.add_option("--min-time", a.min_time, "seconds a repetition should last at least")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd.add_option("--threads", a.threads, "threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--json", a.json, "also write the results as JSON to this file");
  cmd.add_flag("--quick", a.quick,
               "tiny settings for smoke tests: 3 repetitions of 1 step, 1 warm-up step");
  cmd.add_flag("--profile", a.profile,
               "also print per-layer forward/backward times at the first training batch");
}

int run_bench_command(const BenchArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  const auto list = parse_workloads(a.workloads);
  BenchOptions o =
      a.quick ? quick_options()
              : BenchOptions{.reps = a.reps, .warmup = a.warmup, .min_rep_seconds = a.min_time};
  // Open the output first: a wrong path should fail before minutes of measuring, not after.
  std::ofstream json;
  if (!a.json.empty()) {
    json.open(a.json);
    PHYSCNN_CHECK(json.good(), IoError, "bench: cannot open --json file '", a.json, "'");
  }
  std::vector<WorkloadResult> results;
  for (const auto& w : list) {
    std::fprintf(stderr, "bench: %s %s ...\n", w.id.c_str(), w.model.c_str());
    results.push_back(run_workload(w, o));
  }
  std::printf("%s", format_results(results, num_threads()).c_str());
  if (a.profile) {
    for (const auto& w : list) std::printf("\n%s", profile_layers(w, o).c_str());
  }
  if (!a.json.empty()) {
    json << results_json(results, o, num_threads());
    json.flush();
    PHYSCNN_CHECK(json.good(), IoError, "bench: writing '", a.json, "' failed");
  }
  return 0;
}

namespace {

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : 1e3 * v[v.size() / 2];
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Median CPU milliseconds (process CPU time, so that other processes' load does not count) of
// f() over iters calls after 2 untimed ones; before() runs untimed.
template <class Before, class F>
double time_ms(int iters, Before&& before, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < iters + 2; ++i) {
    before();
    const double t0 = cpu_seconds();
    f();
    if (i >= 2) t.push_back(cpu_seconds() - t0);
  }
  return median_ms(t);
}

struct ProfileRow {
  std::string name;
  double forward_ms = 0, backward_ms = 0;
};

}  // namespace

std::string profile_layers(const Workload& w, const BenchOptions& o) {
  auto model = make_workload_model(w, o.seed);
  model->build(w.input);
  // Leaves in registration order are the execution order only for chains of Sequentials.
  std::vector<std::pair<std::string, nn::ModulePtr>> leaves;
  for (auto& [name, m] : model->named_modules()) {
    if (m->children().empty()) leaves.emplace_back(name, m);
  }
  if (w.per_pixel) return w.id + " " + w.model + ": no per-layer profile (not a chain)\n";
  auto opt = make_workload_optimizer(w, model->parameters());
  model->train();
  const int64_t n = w.train_batches.front();
  Rng rng(o.seed, 2);
  Batch b = make_batch(w, n, rng);
  const int iters = std::max(o.reps, 9);
  auto nothing = [] {};

  std::vector<ProfileRow> rows;
  Tensor x = b.x;
  for (size_t i = 0; i < leaves.size(); ++i) {
    auto& [name, m] = leaves[i];
    // The first layer's input needs no gradient, as in training.
    const Var in(x, i > 0);
    ProfileRow row{.name = name + " (" + m->type_name() + ")"};
    Tensor y;
    row.forward_ms = time_ms(iters, nothing, [&] { y = (*m)(in).value(); });
    Rng grng(o.seed, 3 + i);
    const Tensor seed = Tensor::normal(y.shape(), 0.0, 1.0, grng);
    Var out;
    row.backward_ms = time_ms(
        iters, [&] { out = (*m)(in); }, [&] { out.backward(seed); });
    rows.push_back(row);
    x = y;
  }
  {
    const Var logits(x, true);
    ProfileRow row{.name = "loss (cross_entropy)"};
    row.forward_ms = time_ms(iters, nothing, [&] { ag::cross_entropy(logits, b.y); });
    Var l;
    row.backward_ms = time_ms(
        iters, [&] { l = ag::cross_entropy(logits, b.y); }, [&] { l.backward(); });
    rows.push_back(row);
  }
  auto full_step = [&] {
    opt->zero_grad();
    Var l = ag::cross_entropy((*model)(Var(b.x)), b.y);
    l.backward();
  };
  {
    ProfileRow row{.name = "optimizer step"};
    row.forward_ms = time_ms(iters, full_step, [&] { opt->step(); });
    rows.push_back(row);
  }
  const double whole = time_ms(iters, nothing, [&] {
    full_step();
    opt->step();
  });

  double total = 0;
  for (const auto& r : rows) total += r.forward_ms + r.backward_ms;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s %s: per-layer CPU times at training batch %lld, median of %d (ms)\n"
                "%-34s %10s %10s %7s\n",
                w.id.c_str(), w.model.c_str(), static_cast<long long>(n), iters, "layer", "forward",
                "backward", "share");
  std::string s = buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%-34s %10.3f %10.3f %6.1f%%\n", r.name.c_str(), r.forward_ms,
                  r.backward_ms, 100.0 * (r.forward_ms + r.backward_ms) / std::max(total, 1e-12));
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "%-34s %21.3f\n%-34s %21.3f (the rest: graph bookkeeping, accumulation)\n",
                "sum of the rows", total, "whole training step", whole);
  return s + buf;
}

}  // namespace physcnn::bench

// The benchmark's command line (shared by `physcnn bench` and bench/run_bench), the per-layer
// profile that shows where a training step's time goes, and which conv kernels ran (--explain).
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string_view>
#include <vector>

#include "autograd/profile.hpp"
#include "cli/bench_workloads.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "kernels/conv_dispatch.hpp"

namespace physcnn::bench {

const char* const kBenchDescription =
    "Measure the benchmark workloads W1-W5 (bench/README.md) on random float32 data:\n"
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
               "also print each module's forward/backward CPU time inside the training step");
  cmd.add_flag("--infer-only", a.infer_only, "only the inference figures (no training series)");
  cmd.add_option("--infer-batch", a.infer_batch,
                 "inference batch instead of the workload's (256; w4: 32)")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--explain", a.explain,
               "also print which convolution implementation ran each pass of each conv layer");
}

int run_bench_command(const BenchArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  auto list = parse_workloads(a.workloads);
  for (auto& w : list) {
    if (a.infer_only) w.train_batches.clear();
    if (a.infer_batch > 0) w.infer_batch = a.infer_batch;
  }
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
  if (a.explain) {
    for (const auto& w : list) std::printf("\n%s", explain_convs(w, o).c_str());
  }
  if (!a.json.empty()) {
    json << results_json(results, o, num_threads());
    json.flush();
    PHYSCNN_CHECK(json.good(), IoError, "bench: writing '", a.json, "' failed");
  }
  return 0;
}

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// The geometries the dispatchers ran, in first-seen order, with the entry of each pass.
struct ConvRecord {
  kernels::Conv2dDesc desc;
  std::array<std::string_view, 3> impl;  // by ConvPass
};
std::mutex g_record_mutex;
std::vector<ConvRecord> g_records;

void record_conv(const kernels::Conv2dDesc& d, kernels::ConvPass pass,
                 const kernels::ConvImpl& impl) {
  std::lock_guard<std::mutex> lock(g_record_mutex);
  auto it = std::find_if(g_records.begin(), g_records.end(),
                         [&](const ConvRecord& r) { return r.desc == d; });
  if (it == g_records.end()) it = g_records.insert(g_records.end(), {d, {}});
  it->impl[size_t(pass)] = impl.name;
}

}  // namespace

std::string explain_convs(const Workload& w, const BenchOptions& o) {
  auto model = make_workload_model(w, o.seed);
  model->build(w.input);
  auto opt = make_workload_optimizer(w, model->parameters());
  Rng rng(o.seed, 3);
  const int64_t n = w.train_batches.front();
  const data::Batch b = make_batch(w, n, rng);
  g_records.clear();
  kernels::set_conv2d_observer(record_conv);
  try {
    model->train();
    train::train_step(*model, *opt, nullptr, b, workload_loss(w),
                      {.chunks = {.keep_output = false}});
    model->eval();
    autograd::NoGradGuard no_grad;
    (*model)(autograd::Var(make_batch(w, 1, rng).inputs));
  } catch (...) {
    kernels::set_conv2d_observer(nullptr);
    throw;
  }
  kernels::set_conv2d_observer(nullptr);
  std::string s = w.id + " " + w.model +
                  ": convolution implementation per pass, one training step at batch " +
                  std::to_string(n) +
                  " and a batch-1 inference (kernels/conv_dispatch.cpp; a transposed "
                  "convolution runs as the conv2d whose backward data it is)\n";
  char buf[512];
  for (const ConvRecord& r : g_records) {
    const auto name = [&](kernels::ConvPass p) {
      const std::string_view v = r.impl[size_t(p)];
      return v.empty() ? std::string("-") : std::string(v);
    };
    std::snprintf(buf, sizeof buf, "  %-70s forward %-15s backward data %-15s backward weight %s\n",
                  r.desc.str().c_str(), name(kernels::ConvPass::Forward).c_str(),
                  name(kernels::ConvPass::BackwardData).c_str(),
                  name(kernels::ConvPass::BackwardWeight).c_str());
    s += buf;
  }
  return s;
}

std::string profile_layers(const Workload& w, const BenchOptions& o) {
  namespace prof = autograd::profile;
  auto model = make_workload_model(w, o.seed);
  model->build(w.input);
  auto opt = make_workload_optimizer(w, model->parameters());
  model->train();
  const int64_t n = w.train_batches.front();
  Rng rng(o.seed, 2);
  const data::Batch b = make_batch(w, n, rng);
  const int iters = std::max(o.reps, 9);

  // The trainer's step (train::train_step): every module call and every backward node inside
  // it is charged to its module (autograd/profile).
  int64_t chunks = 1, chunk_size = n;
  auto step = [&] {
    const train::StepResult r = train::train_step(*model, *opt, nullptr, b, workload_loss(w),
                                                  {.chunks = {.keep_output = false}})
                                    .pass;
    chunks = r.chunks;
    chunk_size = r.chunk_size;
  };
  for (int i = 0; i < std::max(o.warmup, 2); ++i) step();

  prof::Session session;
  std::vector<std::vector<double>> fwd, bwd;  // per row, per step
  std::vector<double> whole;
  for (int i = 0; i < iters; ++i) {
    session.clear();
    const double t0 = prof::cpu_seconds();
    step();
    whole.push_back(prof::cpu_seconds() - t0);
    const auto& rows = session.rows();
    fwd.resize(rows.size());
    bwd.resize(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      fwd[r].push_back(rows[r].forward_s);
      bwd[r].push_back(rows[r].backward_s);
    }
  }
  const auto& rows = session.rows();
  double total = 0;
  std::vector<std::pair<double, double>> ms(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    ms[r] = {1e3 * median(fwd[r]), 1e3 * median(bwd[r])};
    total += ms[r].first + ms[r].second;
  }
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s %s: CPU time per module inside the training step at batch %lld (%lld "
                "chunk(s) of %lld%s), median of %d steps (ms)\n%-44s %10s %10s %7s\n",
                w.id.c_str(), w.model.c_str(), static_cast<long long>(n),
                static_cast<long long>(chunks), static_cast<long long>(chunk_size),
                // Profile rows are per thread, so chunks that would run on separate threads
                // (train/step.hpp) run one after another, each op multithreaded, here.
                chunks > 1 && num_threads() > 1 ? ", one after another while profiled" : "", iters,
                "module (self time; a fused Conv2d includes its ReLU)", "forward", "backward",
                "share");
  std::string s = buf;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::snprintf(buf, sizeof buf, "%-44s %10.3f %10.3f %6.1f%%\n", rows[r].name.c_str(),
                  ms[r].first, ms[r].second,
                  100.0 * (ms[r].first + ms[r].second) / std::max(total, 1e-12));
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "%-44s %21.3f\n%-44s %21.3f (the rest: the backward sweep's ordering and "
                "bookkeeping)\n",
                "sum of the rows", total, "whole training step", 1e3 * median(whole));
  return s + buf;
}

}  // namespace physcnn::bench

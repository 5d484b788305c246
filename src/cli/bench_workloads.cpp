// The benchmark runner: W1-W5 with random float32 data, timed as medians over repetitions; the
// procedure (warm-up, calibration, repetitions) is mirrored line for line by
// bench/torch_workloads.py so that the two halves of bench/compare.py measure the same thing.
#include "cli/bench_workloads.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "autograd/functional.hpp"
#include "autograd/profile.hpp"
#include "core/error.hpp"
#include "nn/models/models.hpp"
#include "optim/adam.hpp"
#include "optim/sgd.hpp"
#include "tensor/allocator.hpp"
#include "train/step.hpp"

namespace physcnn::bench {

namespace ag = autograd;
using autograd::Var;

const std::vector<Workload>& workloads() {
  using O = OptimizerKind;
  static const std::vector<Workload> list{{.id = "w1",
                                           .model = "lenet5",
                                           .input = {1, 28, 28},
                                           .train_batches = {32, 128},
                                           .infer_batch = 256,
                                           .classes = 10,
                                           .optimizer = O::SgdMomentum,
                                           .lr = 0.01},
                                          {.id = "w2",
                                           .model = "fmnist_bn",
                                           .input = {1, 28, 28},
                                           .train_batches = {32, 128},
                                           .infer_batch = 256,
                                           .classes = 10,
                                           .optimizer = O::Adam,
                                           .lr = 1e-3},
                                          {.id = "w3",
                                           .model = "ising_cnn",
                                           .input = {1, 32, 32},
                                           .train_batches = {32, 128},
                                           .infer_batch = 256,
                                           .classes = 2,
                                           .spins = true,
                                           .optimizer = O::SgdMomentum,
                                           .lr = 0.01},
                                          {.id = "w4",
                                           .model = "unet_small",
                                           .input = {1, 64, 64},
                                           .train_batches = {8, 32},
                                           .infer_batch = 32,
                                           .classes = 2,
                                           .per_pixel = true,
                                           .optimizer = O::Adam,
                                           .lr = 1e-3},
                                          {.id = "w5",
                                           .model = "tinyvgg",
                                           .input = {3, 64, 64},
                                           .train_batches = {32, 128},
                                           .infer_batch = 256,
                                           .classes = 10,
                                           .optimizer = O::Sgd,
                                           .lr = 0.01}};
  return list;
}

std::vector<Workload> parse_workloads(const std::string& list) {
  std::vector<Workload> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::transform(item.begin(), item.end(), item.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (item.empty()) continue;
    if (item == "all") {
      for (const auto& w : workloads()) out.push_back(w);
      continue;
    }
    auto it = std::find_if(workloads().begin(), workloads().end(),
                           [&](const Workload& w) { return w.id == item || w.model == item; });
    PHYSCNN_CHECK_ARG(it != workloads().end(), "bench: unknown workload '", item,
                      "'; known: w1 (lenet5), w2 (fmnist_bn), w3 (ising_cnn), w4 (unet_small), "
                      "w5 (tinyvgg), all");
    out.push_back(*it);
  }
  PHYSCNN_CHECK_ARG(!out.empty(), "bench: --workloads '", list, "' names no workload");
  return out;
}

BenchOptions quick_options() {
  return {.reps = 3, .warmup = 1, .min_rep_seconds = 0.0};
}

Stat make_stat(std::vector<double> samples) {
  Stat s;
  s.samples = samples;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
// CPU seconds of every thread of the process: on a loaded machine the wall clock also counts
// the time other processes held the cores, CPU time only ours (spin-waiting threads included).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Seconds per call of step over options.reps repetitions. Warm-up calls are untimed; one more
// call calibrates how many calls a repetition needs to last min_rep_seconds.
struct Series {
  int64_t calls_per_rep = 1;
  std::vector<double> seconds_per_call;
  std::vector<double> cpu_seconds_per_call;
};
template <class F>
Series time_series(F&& step, const BenchOptions& o) {
  for (int i = 0; i < o.warmup; ++i) step();
  auto t0 = Clock::now();
  step();
  const double once = std::max(seconds_since(t0), 1e-9);
  Series s;
  s.calls_per_rep =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(o.min_rep_seconds / once)), 1, 100000);
  const auto calls = static_cast<double>(s.calls_per_rep);
  for (int r = 0; r < o.reps; ++r) {
    const double c0 = cpu_seconds();
    t0 = Clock::now();
    for (int64_t i = 0; i < s.calls_per_rep; ++i) step();
    s.seconds_per_call.push_back(seconds_since(t0) / calls);
    s.cpu_seconds_per_call.push_back((cpu_seconds() - c0) / calls);
  }
  return s;
}

// A value of /proc/self/status ("VmHWM", "VmRSS") in MiB; 0 when unavailable.
double status_mib(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0.0;
}

// Hands freed heap back to the kernel and resets the peak resident size to the current one
// (Linux >= 4.0, "5" in clear_refs), so that the next VmHWM is this workload's own peak.
// The caching allocator's blocks go first: otherwise the previous workload's cached tensor
// storage would count in this workload's "before" and could be part of its peak.
bool reset_peak_rss() {
  allocator::release_cached();
  malloc_trim(0);
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

// value / t for every t.
std::vector<double> per_second(double value, const std::vector<double>& seconds) {
  std::vector<double> out;
  for (double t : seconds) out.push_back(value / t);
  return out;
}

}  // namespace

nn::ModulePtr make_workload_model(const Workload& w, uint64_t seed) {
  namespace m = nn::models;
  if (w.model == "lenet5") return m::lenet5(seed);
  if (w.model == "fmnist_bn") return m::fmnist_bn(seed);
  if (w.model == "ising_cnn") return m::ising_cnn(seed);
  if (w.model == "unet_small") return m::unet_small(seed);
  if (w.model == "tinyvgg") return m::tinyvgg(seed);
  throw UsageError("bench: workload " + w.id + " names unknown model '" + w.model + "'");
}

std::unique_ptr<optim::Optimizer> make_workload_optimizer(const Workload& w,
                                                          const std::vector<Var>& params) {
  switch (w.optimizer) {
    case OptimizerKind::Sgd:
      return std::make_unique<optim::Sgd>(params, optim::SgdOptions{.lr = w.lr});
    case OptimizerKind::SgdMomentum:
      return std::make_unique<optim::Sgd>(params, optim::SgdOptions{.lr = w.lr, .momentum = 0.9});
    case OptimizerKind::Adam:
      return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = w.lr});
  }
  throw UsageError("bench: unknown optimizer");
}

namespace {
Shape batched(const Shape& sample, int64_t batch) {
  std::vector<int64_t> dims{batch};
  dims.insert(dims.end(), sample.begin(), sample.end());
  return Shape(dims);
}
}  // namespace

data::Batch make_batch(const Workload& w, int64_t n, Rng& rng) {
  data::Batch b;
  b.inputs = Tensor::normal(batched(w.input, n), 0.0, 1.0, rng);
  if (w.spins) {
    float* p = b.inputs.data<float>();
    for (int64_t i = 0; i < b.inputs.numel(); ++i) p[i] = p[i] < 0 ? -1.0f : 1.0f;
  }
  const auto draw = [&] { return rng.below(static_cast<uint64_t>(w.classes)); };
  if (w.per_pixel) {
    b.targets = Tensor::empty(Shape{n, w.input[1] * w.input[2]});
    float* t = b.targets.data<float>();
    for (int64_t i = 0; i < b.targets.numel(); ++i) t[i] = static_cast<float>(draw());
  } else {
    for (int64_t i = 0; i < n; ++i) b.labels.push_back(static_cast<int64_t>(draw()));
  }
  return b;
}

train::LossKind workload_loss(const Workload& w) {
  return w.per_pixel ? train::LossKind::PixelCrossEntropy : train::LossKind::CrossEntropy;
}

WorkloadResult run_workload(const Workload& w, const BenchOptions& o) {
  PHYSCNN_CHECK_ARG(o.reps >= 1 && o.warmup >= 0 && o.min_rep_seconds >= 0, "bench: reps ", o.reps,
                    " must be >= 1, warmup ", o.warmup, " >= 0, min time ", o.min_rep_seconds,
                    " >= 0");
  WorkloadResult r;
  r.workload = w;
  r.peak_reset = reset_peak_rss();
  r.rss_before_mib = status_mib("VmRSS");

  auto model = make_workload_model(w, o.seed);
  const nn::Summary summary = model->summary(w.input);  // also materialises lazy layers
  r.params = summary.total_params;
  r.macs_per_sample = summary.total_macs;
  auto opt = make_workload_optimizer(w, model->parameters());
  Rng rng(o.seed, 1);

  model->train();
  // PHYSCNN_BENCH_CHUNK=<n> (measurements only): chunks of n samples instead of the automatic
  // choice, -1 the whole batch; the chunking used is then printed to stderr.
  train::StepOptions step_options{.keep_output = false};
  const char* forced_chunk = std::getenv("PHYSCNN_BENCH_CHUNK");
  if (forced_chunk) step_options.chunk = std::stoll(forced_chunk);
  for (int64_t n : w.train_batches) {
    const data::Batch b = make_batch(w, n, rng);
    train::StepResult last;
    // The trainer's own step (train/train_step.hpp): forward, loss and backward in cache-sized
    // chunks of the batch, the finiteness check and the optimizer, so that users get the speed
    // measured here. A non-finite loss stops the benchmark with NumericalError.
    auto step = [&] {
      last = train::train_step(*model, *opt, nullptr, b, workload_loss(w), {.chunks = step_options})
                 .pass;
    };
    const Series s = time_series(step, o);
    if (forced_chunk)
      std::fprintf(stderr,
                   "bench %s: train batch %lld ran in %lld chunk(s) of %lld on %d thread(s)%s%s\n",
                   w.id.c_str(), static_cast<long long>(n), static_cast<long long>(last.chunks),
                   static_cast<long long>(last.chunk_size), last.threads,
                   last.refusal.empty() ? "" : ": ", last.refusal.c_str());
    const auto images = static_cast<double>(n);
    r.train.push_back({.batch = n,
                       .steps_per_rep = s.calls_per_rep,
                       .images_per_s = make_stat(per_second(images, s.seconds_per_call)),
                       .images_per_cpu_s = make_stat(per_second(images, s.cpu_seconds_per_call))});
  }
  opt->zero_grad();  // inference should not carry the gradients in memory

  model->eval();
  ag::NoGradGuard no_grad;
  {
    const data::Batch b = make_batch(w, w.infer_batch, rng);
    // PHYSCNN_BENCH_CHUNK_INFER=<n> (measurements only): inference in chunks as well (0: the
    // automatic chunk); not the default, since evaluate/predict run the whole batch.
    const char* infer_chunk = std::getenv("PHYSCNN_BENCH_CHUNK_INFER");
    const train::StepOptions infer_options{.chunk = infer_chunk ? std::stoll(infer_chunk) : 0};
    auto step = [&] {
      if (infer_chunk)
        train::forward_chunked(*model, b.inputs, infer_options);
      else
        (*model)(Var(b.inputs));
    };
    const Series s = time_series(step, o);
    r.infer_steps_per_rep = s.calls_per_rep;
    const auto images = static_cast<double>(w.infer_batch);
    r.infer_images_per_s = make_stat(per_second(images, s.seconds_per_call));
    r.infer_images_per_cpu_s = make_stat(per_second(images, s.cpu_seconds_per_call));
  }
  {
    const data::Batch b = make_batch(w, 1, rng);
    auto step = [&] { (*model)(Var(b.inputs)); };
    const Series s = time_series(step, o);
    r.latency_steps_per_rep = s.calls_per_rep;
    auto ms = [](std::vector<double> v) {
      for (double& t : v) t *= 1e3;
      return make_stat(v);
    };
    r.latency_ms = ms(s.seconds_per_call);
    r.latency_cpu_ms = ms(s.cpu_seconds_per_call);
  }
  r.peak_rss_mib = status_mib("VmHWM");
  return r;
}

double forward_flops(const WorkloadResult& r) {
  return 2.0 * static_cast<double>(r.macs_per_sample);
}

namespace {

nlohmann::json stat_json(const Stat& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"samples", s.samples}};
}

std::string optimizer_name(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::Sgd:
      return "sgd";
    case OptimizerKind::SgdMomentum:
      return "sgd_momentum";
    case OptimizerKind::Adam:
      return "adam";
  }
  return "?";
}

}  // namespace

std::string results_json(const std::vector<WorkloadResult>& results, const BenchOptions& o,
                         int threads) {
  nlohmann::json doc;
  doc["framework"] = "physcnn";
  doc["threads"] = threads;
  doc["options"] = {{"reps", o.reps},
                    {"warmup", o.warmup},
                    {"min_rep_seconds", o.min_rep_seconds},
                    {"seed", o.seed}};
  doc["workloads"] = nlohmann::json::array();
  for (const auto& r : results) {
    const double fwd = forward_flops(r);
    nlohmann::json j;
    j["id"] = r.workload.id;
    j["model"] = r.workload.model;
    j["input"] = std::vector<int64_t>(r.workload.input.begin(), r.workload.input.end());
    j["optimizer"] = optimizer_name(r.workload.optimizer);
    j["params"] = r.params;
    j["macs_per_sample"] = r.macs_per_sample;
    j["train"] = nlohmann::json::array();
    for (const auto& f : r.train) {
      j["train"].push_back({{"batch", f.batch},
                            {"steps_per_rep", f.steps_per_rep},
                            {"images_per_s", stat_json(f.images_per_s)},
                            {"images_per_cpu_s", stat_json(f.images_per_cpu_s)},
                            {"gflops", 3.0 * fwd * f.images_per_s.median * 1e-9}});
    }
    j["infer"] = {{"batch", r.workload.infer_batch},
                  {"steps_per_rep", r.infer_steps_per_rep},
                  {"images_per_s", stat_json(r.infer_images_per_s)},
                  {"images_per_cpu_s", stat_json(r.infer_images_per_cpu_s)},
                  {"gflops", fwd * r.infer_images_per_s.median * 1e-9}};
    j["latency_ms"] = stat_json(r.latency_ms);
    j["latency_cpu_ms"] = stat_json(r.latency_cpu_ms);
    j["latency_steps_per_rep"] = r.latency_steps_per_rep;
    j["rss_before_mib"] = r.rss_before_mib;
    j["peak_rss_mib"] = r.peak_rss_mib;
    j["peak_reset"] = r.peak_reset;
    doc["workloads"].push_back(j);
  }
  return doc.dump(1) + "\n";
}

namespace {
std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}
}  // namespace

std::string format_results(const std::vector<WorkloadResult>& results, int threads) {
  std::string s = "physcnn bench, " + std::to_string(threads) +
                  " thread(s); medians with [min - max] over the repetitions; img/CPU-s counts\n"
                  "process CPU time (all threads) instead of the wall clock\n";
  for (const auto& r : results) {
    const double fwd = forward_flops(r);
    std::string in;
    for (int64_t d : r.workload.input) in += (in.empty() ? "" : "x") + std::to_string(d);
    s += "\n" + r.workload.id + " " + r.workload.model + " (" + in + "), " +
         std::to_string(r.params) + " parameters, " +
         fmt("%.2f MFLOP/sample forward\n", fwd * 1e-6);
    for (const auto& f : r.train) {
      s += fmt("  train   batch %4.0f %10.1f img/s", static_cast<double>(f.batch),
               f.images_per_s.median) +
           fmt(" [%.1f - %.1f]", f.images_per_s.min, f.images_per_s.max) +
           fmt("  %6.2f GFLOP/s  %10.1f img/CPU-s\n", 3.0 * fwd * f.images_per_s.median * 1e-9,
               f.images_per_cpu_s.median);
    }
    s += fmt("  infer   batch %4.0f %10.1f img/s", static_cast<double>(r.workload.infer_batch),
             r.infer_images_per_s.median) +
         fmt(" [%.1f - %.1f]", r.infer_images_per_s.min, r.infer_images_per_s.max) +
         fmt("  %6.2f GFLOP/s  %10.1f img/CPU-s\n", fwd * r.infer_images_per_s.median * 1e-9,
             r.infer_images_per_cpu_s.median);
    s += fmt("  latency batch    1 %10.3f ms    [%.3f - %.3f]", r.latency_ms.median,
             r.latency_ms.min, r.latency_ms.max) +
         fmt("  %.3f CPU-ms\n", r.latency_cpu_ms.median);
    s += fmt("  peak resident memory %.1f MiB (%.1f MiB before the workload)\n", r.peak_rss_mib,
             r.rss_before_mib) +
         (r.peak_reset ? "" : "  [peak not reset: lifetime peak of the process]\n");
  }
  return s;
}

}  // namespace physcnn::bench

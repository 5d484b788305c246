// Micro-batched training steps: the layers' own batch_coupling() and a probe decide whether a model
// may run in chunks, the cache-sized chunk, and the chunked forward/backward with its loss shares.
#include "train/step.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "autograd/functional.hpp"
#include "autograd/profile.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "tensor/ops.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;
using ag::Var;

namespace {

// Each module says whether its forward couples the samples of a batch in its current mode
// (nn::Module::batch_coupling: batch norm with batch statistics does; a module that does not say
// is assumed to), so a new layer runs the whole batch until it declares otherwise.
std::string refusal_of(nn::Module& m, const std::string& path) {
  const std::string why = m.batch_coupling();
  if (why.empty()) return "";
  return (path.empty() ? "the model" : path) + " (" + m.type_name() + ") " + why;
}

// --- the probe --------------------------------------------------------------------------------

// Saves every module's training flag and restores it on scope exit (pre-order, so a parent's
// recursive train() runs before its descendants' own flags), as Module::build does.
class ModeRestorer {
 public:
  explicit ModeRestorer(nn::Module& root) {
    modes_.emplace_back(&root, root.is_training());
    for (auto& [_, m] : root.named_modules()) modes_.emplace_back(m.get(), m->is_training());
  }
  ~ModeRestorer() {
    for (auto& [m, on] : modes_) m->train(on);
  }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> modes_;
};

class ObserverScope {
 public:
  explicit ObserverScope(nn::detail::ForwardObserver* fn)
      : previous_(nn::detail::forward_observer()) {
    nn::detail::forward_observer() = fn;
  }
  ~ObserverScope() { nn::detail::forward_observer() = previous_; }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;

 private:
  nn::detail::ForwardObserver* previous_;
};

int64_t element_bytes(DType d) {
  return d == DType::F64 ? 8 : 4;
}

// Largest |a - b| over the first sample of `batched` against `single` (one sample), relative to
// the largest |a|; infinity when the shapes disagree.
double first_sample_difference(const Tensor& batched, const Tensor& single) {
  const Tensor first = batched.slice(0, 0, 1).contiguous();
  if (first.shape() != single.shape()) return INFINITY;
  const std::vector<double> a = first.to_vector(), b = single.contiguous().to_vector();
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(a[i]));
  }
  return diff / scale;
}

ChunkPlan probe(nn::Module& model, const Shape& sample, DType dtype) {
  constexpr int64_t kProbeBatch = 2;
  // oneDNN may pick other kernels for one sample than for two: rounding differs, a layer that
  // mixes samples (softmax over the batch) differs at order 1.
  constexpr double kTolerance = 1e-3;
  ChunkPlan plan;
  std::vector<int64_t> dims{kProbeBatch};
  dims.insert(dims.end(), sample.begin(), sample.end());
  Rng rng(0x70726f6265ull, 0);
  const Tensor x = Tensor::normal(Shape(dims), 0.0, 1.0, rng, dtype);

  const int64_t bytes = element_bytes(dtype);
  nn::detail::ForwardObserver observe = [&](nn::Module& m, const Var& in, const Var& out) {
    if (!plan.refusal.empty()) return out;
    const std::string where =
        (m.path().empty() ? "the model" : m.path()) + " (" + m.type_name() + ")";
    if (out.dim() == 0 || out.size(0) != in.size(0) || in.size(0) != kProbeBatch) {
      plan.refusal = where + " does not keep the batch dimension (input " + in.shape().str() +
                     ", output " + out.shape().str() + ")";
      return out;
    }
    if (!m.children().empty()) return out;
    plan.largest_bytes =
        std::max(plan.largest_bytes, (in.numel() + out.numel()) / kProbeBatch * bytes);
    plan.activation_bytes += out.numel() / kProbeBatch * bytes;
    // The layer on the first sample alone must give the first row of its batched output.
    ObserverScope quiet(nullptr);
    const Tensor single = m.forward(Var(in.value().slice(0, 0, 1).contiguous())).value();
    if (first_sample_difference(out.value(), single) > kTolerance)
      plan.refusal = where + " mixes the samples of a batch";
    return out;
  };
  ModeRestorer restore(model);
  model.eval();
  ag::NoGradGuard no_grad;
  ObserverScope scope(&observe);
  model(Var(x));
  return plan;
}

struct CacheEntry {
  const nn::Module* model;
  std::weak_ptr<const nn::Module> owner;  // expired: the address may belong to a new model
  Shape sample;
  DType dtype;
  size_t modules;
  ChunkPlan plan;
};

int64_t g_microbatch_chunk = StepOptions::kAuto;

std::mutex g_cache_mutex;
std::vector<CacheEntry> g_cache;  // a handful of (model, shape) pairs per process

// Every module's batch_coupling() verdict over a model, and whether a layer draws random numbers
// in its current mode (a training Dropout: its one generator must not be shared by threads).
struct ModelScan {
  std::string refusal;
  bool draws = false;
};
ModelScan scan(nn::Module& model) {
  ModelScan s;
  const auto visit = [&s](nn::Module& m, const std::string& path) {
    if (s.refusal.empty()) s.refusal = refusal_of(m, path);
    s.draws = s.draws || (m.is_training() && m.type_name().rfind("Dropout", 0) == 0);
  };
  visit(model, "");
  for (auto& [path, m] : model.named_modules()) visit(*m, m->path().empty() ? path : m->path());
  return s;
}

// Threads that may run whole chunks of a step at once: 1 (the chunks one after another, each op
// multithreaded) when the switch is off, a single thread is set, we already run inside a
// parallel region, a profile session is open (its rows are per thread) or a layer draws random
// numbers.
int chunk_workers(bool draws) {
  if (draws || !step_switches().chunk_threads || num_threads() < 2 || in_parallel_region() ||
      ag::profile::active())
    return 1;
  return num_threads();
}

struct ChunkChoice {
  int64_t chunk;    // samples per chunk (n: the whole batch at once)
  int workers = 1;  // threads running chunks at once
};

// The chunks of this step (on threads only if `may_thread`); refusal says why the batch runs
// whole when chunks were asked for and the model may not run in them.
ChunkChoice decide_chunk(nn::Module& model, const Tensor& inputs, const StepOptions& options,
                         bool may_thread, std::string& refusal) {
  const int64_t n = inputs.size(0);
  const int64_t asked = options.chunk == StepOptions::kAuto ? g_microbatch_chunk : options.chunk;
  const bool wanted = asked > 0 || (asked == StepOptions::kAuto && step_switches().microbatch);
  if (!wanted || n <= 1 || (asked > 0 && asked >= n)) return {n};
  const ModelScan traits = scan(model);
  refusal = traits.refusal;
  if (!refusal.empty()) return {n};
  const Shape sample(std::vector<int64_t>(inputs.shape().begin() + 1, inputs.shape().end()));
  const ChunkPlan plan = chunk_plan(model, sample, inputs.dtype());
  refusal = plan.refusal;
  if (!refusal.empty()) return {n};
  const int workers = may_thread ? chunk_workers(traits.draws) : 1;
  int64_t chunk = asked;
  if (asked <= 0) {
    chunk = workers > 1 ? choose_worker_chunk(plan, n, workers) : 0;
    if (chunk <= 0) return {choose_chunk(plan, n, num_threads())};
  }
  if (chunk >= n) return {n};
  const int64_t chunks = (n + chunk - 1) / chunk;
  return {chunk, int(std::min<int64_t>(workers, chunks))};
}

}  // namespace

Tensor forward_chunked(nn::Module& model, const Tensor& inputs, const StepOptions& options) {
  PHYSCNN_CHECK_SHAPE(inputs.dim() >= 1 && inputs.size(0) >= 1, "forward_chunked: inputs ",
                      inputs.shape().str(), " need a batch dimension of at least one sample");
  PHYSCNN_CHECK_ARG(options.chunk >= StepOptions::kWholeBatch, "forward_chunked: chunk ",
                    options.chunk, " must be > 0, 0 (auto) or -1 (whole batch)");
  ag::NoGradGuard no_grad;
  std::string refusal;
  const int64_t n = inputs.size(0),
                chunk = decide_chunk(model, inputs, options, false, refusal).chunk;
  if (chunk >= n) return model(Var(inputs)).value();
  std::vector<Tensor> parts;
  for (int64_t lo = 0; lo < n; lo += chunk)
    parts.push_back(model(Var(inputs.slice(0, lo, std::min(n, lo + chunk)))).value());
  return concat(parts, 0);
}

void set_microbatch_chunk(int64_t chunk) {
  PHYSCNN_CHECK_ARG(chunk >= StepOptions::kWholeBatch, "micro-batch chunk ", chunk,
                    " must be > 0, 0 (auto) or -1 (whole batch)");
  g_microbatch_chunk = chunk;
}
int64_t microbatch_chunk() {
  return g_microbatch_chunk;
}

std::string microbatch_refusal(nn::Module& model) {
  return scan(model).refusal;
}

ChunkPlan chunk_plan(nn::Module& model, const Shape& sample, DType dtype) {
  const size_t modules = model.named_modules().size();
  std::weak_ptr<const nn::Module> owner = model.weak_from_this();
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    std::erase_if(g_cache, [](const CacheEntry& e) { return e.owner.expired(); });
    for (const CacheEntry& e : g_cache)
      if (e.model == &model && e.sample == sample && e.dtype == dtype && e.modules == modules)
        return e.plan;
  }
  ChunkPlan plan = probe(model, sample, dtype);
  if (!owner.expired()) {  // a model not held by a shared_ptr is probed every time
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    g_cache.push_back({&model, owner, sample, dtype, modules, plan});
  }
  return plan;
}

int64_t l2_cache_bytes() {
  static const int64_t bytes = [] {
    long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (v > 0) return int64_t(v);
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index2/size");  // "2048K"
    int64_t k = 0;
    if (f >> k && k > 0) return k * 1024;
    return int64_t(1) << 20;
  }();
  return bytes;
}

int64_t choose_chunk(const ChunkPlan& plan, int64_t batch, int threads) {
  constexpr int64_t kMinChunk = 8;  // per thread
  threads = std::max(threads, 1);
  if (!plan.refusal.empty() || plan.largest_bytes <= 0) return batch;
  const int64_t budget = l2_cache_bytes() * threads;
  int64_t chunk = std::max(budget / plan.largest_bytes, kMinChunk * threads);
  chunk = (chunk + threads - 1) / threads * threads;
  if (chunk >= batch) return batch;
  // Equal chunks: 128 in chunks of at most 48 runs as 43, 43, 42 rather than 48, 48, 32.
  const int64_t count = (batch + chunk - 1) / chunk;
  return (batch + count - 1) / count;
}

int64_t choose_worker_chunk(const ChunkPlan& plan, int64_t batch, int workers) {
  constexpr int64_t kMinChunk = 8;        // samples, when the batch has enough of them
  constexpr int64_t kMinWorkerChunk = 4;  // below this, per-op overheads eat the second core
  if (!plan.refusal.empty() || plan.largest_bytes <= 0 || workers < 2) return 0;
  const int64_t fits = std::max(l2_cache_bytes() / plan.largest_bytes, kMinChunk);
  int64_t count = std::max<int64_t>((batch + fits - 1) / fits, workers);
  count = (count + workers - 1) / workers * workers;
  const int64_t chunk = (batch + count - 1) / count;
  return chunk < kMinWorkerChunk ? 0 : chunk;
}

ChunkCountFn ignore_aware_count(const Tensor& target, int64_t ignore_index) {
  PHYSCNN_CHECK_SHAPE(target.dim() >= 1, "ignore_aware_count: target ", target.shape().str(),
                      " has no batch dimension");
  const int64_t n = target.size(0), per = n ? target.numel() / n : 0;
  const std::vector<double> t = target.contiguous().to_vector();
  const auto ignore = double(ignore_index);
  if (std::find(t.begin(), t.end(), ignore) == t.end()) return nullptr;
  auto prefix = std::make_shared<std::vector<double>>(n + 1, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t kept = 0;
    for (int64_t j = 0; j < per; ++j) kept += t[size_t(i * per + j)] != ignore;
    (*prefix)[size_t(i + 1)] = (*prefix)[size_t(i)] + double(kept);
  }
  return [prefix](int64_t lo, int64_t hi) { return (*prefix)[size_t(hi)] - (*prefix)[size_t(lo)]; };
}

StepResult forward_backward(nn::Module& model, const Tensor& inputs, const ChunkLossFn& loss,
                            const StepOptions& options) {
  PHYSCNN_CHECK_SHAPE(inputs.dim() >= 1 && inputs.size(0) >= 1, "forward_backward: inputs ",
                      inputs.shape().str(), " need a batch dimension of at least one sample");
  PHYSCNN_CHECK_ARG(options.chunk >= StepOptions::kWholeBatch, "forward_backward: chunk ",
                    options.chunk, " must be > 0, 0 (auto) or -1 (whole batch)");
  const int64_t n = inputs.size(0);
  StepResult r;
  r.chunk_size = n;
  ChunkChoice choice = decide_chunk(model, inputs, options, true, r.refusal);
  int64_t chunk = choice.chunk;
  // Each chunk's mean loss enters with its share of the batch's count, so the sum of the
  // chunks' gradients is the gradient of the batch's mean (Reduction::Mean of the losses).
  double total = double(n);
  if (chunk < n && options.count) {
    total = options.count(0, n);
    if (!(total > 0)) chunk = n;  // nothing counts: the whole batch's 0/0, as without chunks
  }
  const bool global = options.count_total > 0;
  if (global) total = options.count_total;
  if (chunk >= n) {
    Var out = model(Var(inputs));
    if (options.keep_output) r.output = out.value();
    // A part of a global batch enters with its share of the global count.
    const double share = global ? (options.count ? options.count(0, n) : double(n)) / total : 1.0;
    if (share == 0) return r;  // every target of this rank's part is ignored
    Var l = loss(out, 0, n);
    r.loss = share * l.item();
    const ag::LeafReadyScope ready(options.on_grad_ready);
    if (global)
      l.backward(Tensor::full(l.shape(), share, l.dtype()));
    else
      l.backward();
    return r;
  }
  r.chunk_size = chunk;
  r.chunks = (n + chunk - 1) / chunk;
  r.threads = choice.workers;
  std::vector<Tensor> parts(size_t(r.chunks));
  std::vector<double> losses(size_t(r.chunks), 0.0);
  const auto run_chunk = [&](int64_t c) {
    const int64_t lo = c * chunk, hi = std::min(n, lo + chunk);
    Var out = model(Var(inputs.slice(0, lo, hi)));
    if (options.keep_output) parts[size_t(c)] = out.value();
    const double share = (options.count ? options.count(lo, hi) : double(hi - lo)) / total;
    if (share == 0) return;  // every target of this chunk is ignored: no loss, no gradient
    Var l = loss(out, lo, hi);
    losses[size_t(c)] = share * l.item();
    // The last chunk completes each gradient: notify as its backward passes each parameter.
    const ag::LeafReadyScope ready(r.threads <= 1 && c == r.chunks - 1 ? options.on_grad_ready
                                                                       : nullptr);
    l.backward(Tensor::full(l.shape(), share, l.dtype()));
  };
  if (r.threads <= 1) {
    for (int64_t c = 0; c < r.chunks; ++c) run_chunk(c);
  } else {
    // Worker w runs chunks [w C / W, (w+1) C / W) and sums its parameter gradients apart; the
    // sums enter the parameters in worker order, so the step is the same on every run.
    std::vector<ag::LeafGradSink> sinks(size_t(r.threads));
    run_on_threads(r.threads, [&](int w) {
      ag::LeafGradSink::Route route(sinks[size_t(w)]);
      for (int64_t c = r.chunks * w / r.threads; c < r.chunks * (w + 1) / r.threads; ++c)
        run_chunk(c);
    });
    for (ag::LeafGradSink& s : sinks) s.add_to_leaves();
    if (options.on_grad_ready)
      for (const Var& p : model.parameters()) (*options.on_grad_ready)(p.node());
  }
  for (double l : losses) r.loss += l;
  if (options.keep_output) r.output = concat(parts, 0);
  return r;
}

StepResult forward_backward(nn::Module& model, const Tensor& inputs, const Tensor& target,
                            const TargetLossFn& loss, const StepOptions& options) {
  PHYSCNN_CHECK_SHAPE(target.dim() >= 1 && inputs.dim() >= 1 && target.size(0) == inputs.size(0),
                      "forward_backward: target ", target.shape().str(), " and inputs ",
                      inputs.shape().str(), " differ in the batch dimension");
  const int64_t n = inputs.size(0);
  return forward_backward(
      model, inputs,
      [&](const Var& out, int64_t lo, int64_t hi) {
        return loss(out, lo == 0 && hi == n ? target : target.slice(0, lo, hi));
      },
      options);
}

}  // namespace physcnn::train

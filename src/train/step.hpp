// One training step's forward, loss and backward in chunks of the batch (micro-batches) whose
// activations fit the cache, parameter gradients accumulated over the chunks: the same gradient
// as the whole batch's mean loss (to float rounding), for the caller's one optimizer step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "autograd/var.hpp"
#include "core/shape.hpp"
#include "nn/module.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::train {

// The loss of samples [lo, hi) of the batch, reduced by the mean, from the model's output for
// exactly those samples (first dimension hi - lo).
using ChunkLossFn =
    std::function<autograd::Var(const autograd::Var& output, int64_t lo, int64_t hi)>;
// How many terms the mean of samples [lo, hi) divides by. Null: every sample contributes the
// same number (hi - lo times a constant, which cancels). A class loss with ignored targets needs
// the real count (see ignore_aware_count).
using ChunkCountFn = std::function<double(int64_t lo, int64_t hi)>;

struct StepOptions {
  static constexpr int64_t kAuto = 0;
  static constexpr int64_t kWholeBatch = -1;
  // kAuto: set_microbatch_chunk's setting, by default chosen from the model's per-sample
  // activation sizes and the cache (choose_chunk) unless StepSwitches::microbatch is off
  // (PHYSCNN_FAST_DISABLE=microbatch);
  // kWholeBatch: never chunk; > 0: chunks of this many samples (the last one smaller).
  // A model that couples the samples of a batch always runs whole (microbatch_refusal).
  int64_t chunk = kAuto;
  bool keep_output = true;  // StepResult::output holds the whole batch's output
  ChunkCountFn count;       // null: the mean divides by a fixed count per sample
  // Data parallel (train/grad_sync.hpp): > 0 is the count the mean divides by, summed over
  // every rank's part of the global batch (count(0, n) or n here), so that the gradients summed
  // over the ranks are those of the global batch's mean; `loss` is then this rank's share of it.
  double count_total = 0;
  // Called with each parameter leaf once this step's gradient of it is complete: during the last
  // chunk's backward (autograd::LeafReadyScope), or after the chunk threads' sums are added.
  const autograd::LeafReadyFn* on_grad_ready = nullptr;
};

struct StepResult {
  Tensor output;           // (N, ...) detached model output; undefined without keep_output
  double loss = 0;         // the whole batch's mean loss, sum over chunks of share x chunk mean
  int64_t chunks = 1;      // forward/backward passes run; 1 = the whole batch at once
  int64_t chunk_size = 0;  // samples per chunk (the last may be smaller)
  int threads = 1;         // threads the chunks ran on (chunk_threads), each op single-threaded
  std::string refusal;     // why the batch ran whole although chunks were asked for, or ""
};

// The train floor's fast-path switches, on by default; PHYSCNN_FAST_DISABLE=microbatch or
// chunk_threads turns one off at start-up (core/switches.hpp). Not thread-safe: set before
// training.
struct StepSwitches {
  bool microbatch = true;     // StepOptions::kAuto runs cache-sized chunks of the batch
  bool chunk_threads = true;  // those chunks on separate threads, each op inside single-threaded
  bool grad_overlap = true;   // data parallel: all-reduce buckets start during the backward
};
StepSwitches step_switches();
void set_step_switches(const StepSwitches& s);

// The process-wide meaning of StepOptions::kAuto, for code that does not pass StepOptions itself
// (the Trainer): kAuto (the default) chooses, kWholeBatch turns micro-batching off, n > 0 forces
// chunks of n. Not thread-safe: set it before training.
void set_microbatch_chunk(int64_t chunk);
int64_t microbatch_chunk();

// Zeroes nothing: gradients accumulate into the parameters' .grad as one backward would (call
// the optimizer's zero_grad() before). Dropout layers draw one mask per chunk, so a chunked
// step's masks differ from the whole batch's (same distribution, different draws).
// With several threads (num_threads() > 1) and StepSwitches::chunk_threads on, the chunks
// run on separate threads at once, each op inside single-threaded, each thread summing its own
// parameter gradients (autograd::LeafGradSink), added in a fixed order after all finish: the
// result does not depend on timing. Then `loss` is called from several threads at once; it must
// only read shared state. Not used for models with Dropout in training (one generator) or while
// a profile session is open (its rows are per thread).
StepResult forward_backward(nn::Module& model, const Tensor& inputs, const ChunkLossFn& loss,
                            const StepOptions& options = {});
// The same with a target whose first dimension is the batch: loss(output rows, target rows).
using TargetLossFn = std::function<autograd::Var(const autograd::Var&, const Tensor&)>;
StepResult forward_backward(nn::Module& model, const Tensor& inputs, const Tensor& target,
                            const TargetLossFn& loss, const StepOptions& options = {});

// The model's output for `inputs` without gradients (evaluation and prediction), in the chunks
// forward_backward would use for the model's current modes on one thread (choose_chunk; they
// run one after another); the same values as one forward up to float rounding.
Tensor forward_chunked(nn::Module& model, const Tensor& inputs, const StepOptions& options = {});

// Why `model`, in its current train/eval modes, may not run a training step in chunks (a layer
// that couples the samples of a batch, such as BatchNorm in training, or a layer this check
// does not vouch for itself), or "" when it may: each layer's Module::batch_coupling(); options
// that could couple samples (Flatten's, Softmax's or Concat's dimension) are checked by
// chunk_plan's probe.
std::string microbatch_refusal(nn::Module& model);

// What the chunking of one model and input shape is based on: a probe forward (evaluation mode,
// no gradients, two random samples) that records every layer's output size and checks that each
// layer keeps the batch dimension and treats the samples independently. Cached per model and
// sample shape.
struct ChunkPlan {
  std::string refusal;           // "" when the model may run in chunks
  int64_t largest_bytes = 0;     // max over layers of (input + output) bytes per sample
  int64_t activation_bytes = 0;  // all layers' output bytes per sample
};
ChunkPlan chunk_plan(nn::Module& model, const Shape& sample, DType dtype);

// Samples per chunk for a batch of `batch` (>= batch: do not chunk) with `threads` threads
// splitting each op: the chunk whose largest layer (input + output) fits the threads' L2
// caches, at least kMinChunk per thread so that per-op overheads stay small, balanced over the
// batch.
int64_t choose_chunk(const ChunkPlan& plan, int64_t batch, int threads);
// The same for `workers` threads that each run whole chunks (StepResult::threads): a chunk fits
// one core's L2 (at least kMinChunk samples, or fewer to give every worker a chunk), as many
// chunks as a multiple of workers; 0 when the batch has too few samples for every worker to get
// a useful chunk (then the chunks, if any, run one after another: choose_chunk).
int64_t choose_worker_chunk(const ChunkPlan& plan, int64_t batch, int workers);
// L2 bytes per core as the OS reports it (1 MiB when it does not).
int64_t l2_cache_bytes();

// Count of targets != ignore_index per range of samples, for class losses whose mean skips
// ignored targets (cross_entropy's ignore_index); null when no target equals ignore_index.
ChunkCountFn ignore_aware_count(const Tensor& target, int64_t ignore_index = -100);

}  // namespace physcnn::train

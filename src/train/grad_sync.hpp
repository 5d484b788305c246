// Data-parallel gradients: the parameters' gradients summed over the ranks of a dist::Comm in
// buckets of about 1 MiB, each bucket's non-blocking all-reduce started as soon as the backward
// pass has finished every gradient in it (autograd::LeafReadyScope via StepOptions), so that
// communication overlaps the backward of earlier layers. train_step uses it; nothing else does.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/var.hpp"
#include "dist/comm.hpp"
#include "nn/module.hpp"

namespace physcnn::train {

struct GradSyncOptions {
  int64_t bucket_bytes = int64_t(1) << 20;
  // false: every bucket starts after the backward pass (the A/B switch for measuring overlap).
  bool overlap = true;
};

// Times of the steps since the last reset_stats(), for the overlap measurement.
struct GradSyncStats {
  int64_t steps = 0;
  int64_t bytes = 0;           // all-reduced per step
  int buckets = 0;             // per step
  double exposed_seconds = 0;  // in finish(): communication the backward did not hide
  int64_t started_early = 0;   // buckets started before finish() (of steps x buckets)
};

class GradientSync {
 public:
  // Buckets in reverse parameter order (the order the backward pass finishes them).
  GradientSync(const dist::Comm& comm, const nn::Module& model, GradSyncOptions options = {});
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  const dist::Comm& comm() const { return comm_; }
  // Before the step's backward: forget the last step's ready marks.
  void begin_step();
  // What StepOptions::on_grad_ready points to: marks a parameter ready and starts every bucket
  // that is complete, in bucket order (collectives must start in the same order on every rank).
  const autograd::LeafReadyFn& ready_hook() const { return hook_; }
  // After the backward: starts the remaining buckets, waits for all and writes the sums into
  // the parameters' gradients. A parameter without a gradient on every rank keeps none.
  void finish();
  const GradSyncStats& stats() const { return stats_; }
  void reset_stats();

 private:
  struct Bucket;
  void mark_ready(const autograd::Node* leaf);
  void start(Bucket& b);
  void progress();

  const dist::Comm& comm_;
  GradSyncOptions options_;
  std::vector<autograd::Var> params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<int> bucket_of_;  // per parameter
  std::vector<char> ready_;     // per parameter, this step
  std::vector<int> missing_;    // per bucket: parameters not yet ready
  size_t next_ = 0;             // next bucket to start
  bool in_finish_ = false;
  int started_early_ = 0;
  autograd::LeafReadyFn hook_;
  GradSyncStats stats_;
};

// One 64-bit hash of a model's parameters and buffers (names, shapes and bytes), compared over
// the ranks: UsageError naming the first rank whose model differs from rank 0's (`when` says
// at which point, e.g. "before training").
void check_same_model(const dist::Comm& comm, const nn::Module& model, const std::string& when);

// Synchronised batch norm (TrainerOptions::sync_batch_norm): every BatchNorm of `model` sums its
// batch statistics over the ranks of `comm`; null removes the sums again.
void sync_batch_norm(nn::Module& model, const dist::Comm* comm);

// Replaces every floating-point buffer (batch-norm running statistics) by its mean over the
// ranks: without synchronised batch norm each rank's statistics come from its own samples.
void average_buffers(const dist::Comm& comm, nn::Module& model);

}  // namespace physcnn::train

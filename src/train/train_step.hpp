// The one training step: zero_grad, forward + loss + backward (in cache-sized chunks, see
// train/step.hpp), a finiteness check of the loss and the gradients, clipping, the optimizer
// step and a per-step schedule. The Trainer (and so `physcnn train`, the Ising study and
// run_experiment) and the benchmark all call it, so what is measured is what trains.
#pragma once

#include <string>

#include "data/loader.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/grad_sync.hpp"
#include "train/losses.hpp"
#include "train/step.hpp"

namespace physcnn::train {

struct StepConfig {
  double clip_grad_norm = 0.0;     // 0: off
  bool schedule_per_step = false;  // step the scheduler after the optimizer (unless it needs a
                                   // metric: a plateau schedule steps per epoch)
  StepOptions chunks;              // micro-batching; its count is set here for class losses
  std::string where;               // context for errors, e.g. "at epoch 2, step 9"
  // Data parallel: `batch` is this rank's block of a global batch (possibly empty); the
  // gradients are averaged over the global batch with `sync`'s all-reduce started during the
  // backward, and StepOutcome's loss is the global batch's. Null: one process.
  GradientSync* sync = nullptr;
};

struct StepOutcome {
  StepResult pass;  // the chunked forward/backward: loss, output (when kept), chunking; with a
                    // GradientSync the loss is the global batch's, the output this rank's rows
  Tensor target;    // the whole batch's loss target (loss_target), when the output is kept
};

// One optimizer step on `batch`. Throws NumericalError, before the optimizer touches the
// weights, when the loss or a gradient is NaN or Inf, naming the first offending parameter.
// The profile scopes "zero_grad", "loss (<name>)" and "optimizer step" time its parts.
StepOutcome train_step(nn::Module& model, optim::Optimizer& optimizer,
                       optim::LrScheduler* scheduler, const data::Batch& batch, LossKind loss,
                       const StepConfig& config = {});

}  // namespace physcnn::train

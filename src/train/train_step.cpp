// The one training step shared by the Trainer and the benchmark.
#include "train/train_step.hpp"

#include <cmath>
#include <vector>

#include "autograd/profile.hpp"
#include "optim/clip.hpp"
#include "tensor/ops.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;
namespace prof = physcnn::autograd::profile;

namespace {

// The name of the first parameter whose value (or gradient) holds NaN or Inf, or "".
std::string first_non_finite_parameter(nn::Module& model, bool gradients) {
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor& t = gradients ? p.grad() : p.value();
    if (t.defined() && !all_finite(t)) return name;
  }
  return "";
}

const std::string& loss_scope(const LossKind& loss) {
  // Named after the autograd loss, so the per-pixel loss shows as cross_entropy too.
  static const std::string ce = "loss (cross_entropy)", mse = "loss (mse)", bce = "loss (bce)",
                           segmentation = "loss (segmentation)";
  if (loss.parts.size() > 1 || loss.parts[0].term == LossKind::Dice ||
      loss.parts[0].term == LossKind::Focal)
    return segmentation;
  return loss.family() == LossKind::Mse ? mse : loss.family() == LossKind::Bce ? bce : ce;
}

std::string at(const std::string& where) {
  return where.empty() ? "" : " " + where;
}

}  // namespace

StepOutcome train_step(nn::Module& model, optim::Optimizer& optimizer,
                       optim::LrScheduler* scheduler, const data::Batch& batch, LossKind loss,
                       const StepConfig& config) {
  {
    const prof::Scope s("zero_grad");
    optimizer.zero_grad();
  }
  const int64_t n = batch.inputs.defined() ? batch.inputs.size(0) : 0;
  PHYSCNN_CHECK_ARG(n > 0 || config.sync, "train_step: an empty batch");
  StepOptions chunks = config.chunks;
  if (n > 0 &&
      (loss.family() == LossKind::CrossEntropy || loss.family() == LossKind::PixelCrossEntropy)) {
    // A mean that skips ignored targets divides each chunk by its own count of kept ones.
    const Tensor classes = batch.labels.empty() ? batch.targets : labels_tensor(batch.labels, {n});
    if (classes.defined() && classes.dim() >= 1 && classes.size(0) == n)
      chunks.count = ignore_aware_count(classes);
  }
  if (config.sync) {
    // The mean over the global batch divides by the count summed over the ranks.
    std::vector<double> count{n == 0 ? 0.0 : chunks.count ? chunks.count(0, n) : double(n)};
    config.sync->comm().allreduce_sum(count);
    chunks.count_total = count[0];
    config.sync->begin_step();
    chunks.on_grad_ready = &config.sync->ready_hook();
  }
  StepOutcome r;
  if (n > 0)
    r.pass = forward_backward(
        model, batch.inputs,
        [&](const ag::Var& part_out, int64_t lo, int64_t hi) {
          const prof::Scope s(loss_scope(loss));
          const data::Batch part = lo == 0 && hi == n ? batch : batch_rows(batch, lo, hi);
          return loss_of(part_out, loss_target(part_out.value(), part, loss), loss);
        },
        chunks);
  if (config.sync) {
    const prof::Scope s("gradient all-reduce");
    config.sync->finish();
    std::vector<double> total{r.pass.loss};  // this rank's share of the global mean
    config.sync->comm().allreduce_sum(total);
    r.pass.loss = total[0];
  }
  if (r.pass.output.defined()) r.target = loss_target(r.pass.output, batch, loss);
  if (!std::isfinite(r.pass.loss)) {
    const std::string bad = first_non_finite_parameter(model, false);
    throw NumericalError(
        "training diverged: loss is " + std::to_string(r.pass.loss) + at(config.where) +
        (bad.empty() ? std::string("; every parameter is finite (check the inputs, or lower the "
                                   "learning rate)")
                     : "; first non-finite parameter: " + bad));
  }
  if (const std::string bad = first_non_finite_parameter(model, true); !bad.empty())
    throw NumericalError("non-finite gradient" + at(config.where) +
                         "; first offending parameter: " + bad);
  if (config.clip_grad_norm > 0) optim::clip_grad_norm(model.parameters(), config.clip_grad_norm);
  {
    const prof::Scope s("optimizer step");
    optimizer.step();
  }
  if (scheduler && config.schedule_per_step && !scheduler->needs_metric()) scheduler->step();
  return r;
}

}  // namespace physcnn::train

// The training losses by name: which target each takes from a data::Batch, the autograd loss,
// and the metrics logged with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/var.hpp"
#include "data/loader.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::train {

// cross_entropy: logits (N, C) vs class labels; mse: outputs vs regression targets of the same
// size; bce: logits vs 0/1 targets (labels or targets) of the same size; pixel_cross_entropy:
// logits (N, C, H, W) vs per-pixel class indices stored as targets (N, H*W); dice (soft Dice)
// and focal (gamma 2, or focal(G)) take the per-pixel targets too (autograd/functional.hpp).
enum class LossTerm { CrossEntropy, Mse, Bce, PixelCrossEntropy, Dice, Focal };

// The loss of an experiment: one term, or a weighted sum of terms that take the same targets,
// written "pixel_cross_entropy + 0.5*dice". A LossTerm converts to it, so LossKind::Mse names
// the single-term loss.
struct LossKind {
  struct Part {
    LossTerm term = LossTerm::CrossEntropy;
    double weight = 1.0;
    int64_t gamma = 2;  // focal only
  };
  std::vector<Part> parts{Part{}};

  LossKind() = default;
  LossKind(LossTerm term) : parts{Part{.term = term}} {}  // NOLINT: implicit on purpose
  // The term whose targets and metrics the loss takes: pixel_cross_entropy for dice and focal.
  LossTerm family() const;
  bool per_pixel() const { return family() == LossTerm::PixelCrossEntropy; }

  static constexpr LossTerm CrossEntropy = LossTerm::CrossEntropy;
  static constexpr LossTerm Mse = LossTerm::Mse;
  static constexpr LossTerm Bce = LossTerm::Bce;
  static constexpr LossTerm PixelCrossEntropy = LossTerm::PixelCrossEntropy;
  static constexpr LossTerm Dice = LossTerm::Dice;
  static constexpr LossTerm Focal = LossTerm::Focal;
};
// UsageError naming the term and listing the names; terms of different targets do not add.
LossKind parse_loss(const std::string& text);
std::string loss_name(const LossKind& loss);  // parse_loss(loss_name(l)) gives l back
bool is_classification(const LossKind& loss);

// Metric names (without train_/val_) logged for a loss, in column order.
// Per-pixel losses log accuracy (of the pixels), mean_iou, and the efficiency and purity of the
// foreground (every class but 0) in metrics.hpp's sense.
// A metric set (train/metric_sets.hpp) adds its names at the end.
std::vector<std::string> metric_names(const LossKind& loss, int64_t top_k,
                                      const std::string& metric_set = "");

// The batch's target for the loss, shaped for the model output `out` (ShapeError/UsageError
// when the data does not suit the loss).
Tensor loss_target(const Tensor& out, const data::Batch& batch, const LossKind& loss);
// The batch-mean loss of `out` against a target from loss_target.
autograd::Var loss_of(const autograd::Var& out, const Tensor& target, const LossKind& loss);
// Samples [lo, hi) of a batch: the inputs, labels and targets a chunk's loss needs.
data::Batch batch_rows(const data::Batch& batch, int64_t lo, int64_t hi);
// Class labels as the float tensor the class losses take.
Tensor labels_tensor(const std::vector<int64_t>& labels, const Shape& shape);

}  // namespace physcnn::train

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
// logits (N, C, H, W) vs per-pixel class indices stored as targets (N, H*W).
enum class LossKind { CrossEntropy, Mse, Bce, PixelCrossEntropy };
LossKind parse_loss(const std::string& name);  // UsageError listing the names
std::string loss_name(LossKind loss);
bool is_classification(LossKind loss);

// Metric names (without train_/val_) logged for a loss, in column order.
std::vector<std::string> metric_names(LossKind loss, int64_t top_k);

// The batch's target for the loss, shaped for the model output `out` (ShapeError/UsageError
// when the data does not suit the loss).
Tensor loss_target(const Tensor& out, const data::Batch& batch, LossKind loss);
// The batch-mean loss of `out` against a target from loss_target.
autograd::Var loss_of(const autograd::Var& out, const Tensor& target, LossKind loss);
// Samples [lo, hi) of a batch: the inputs, labels and targets a chunk's loss needs.
data::Batch batch_rows(const data::Batch& batch, int64_t lo, int64_t hi);
// Class labels as the float tensor the class losses take.
Tensor labels_tensor(const std::vector<int64_t>& labels, const Shape& shape);

}  // namespace physcnn::train

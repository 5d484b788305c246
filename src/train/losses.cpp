// Loss names, targets from batches and the autograd losses behind LossKind.
#include "train/losses.hpp"

#include "autograd/functional.hpp"
#include "core/error.hpp"
#include "train/metrics.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;

LossKind parse_loss(const std::string& name) {
  if (name == "cross_entropy") return LossKind::CrossEntropy;
  if (name == "mse") return LossKind::Mse;
  if (name == "bce") return LossKind::Bce;
  if (name == "pixel_cross_entropy") return LossKind::PixelCrossEntropy;
  throw UsageError("unknown loss '" + name +
                   "' (known: cross_entropy, mse, bce, pixel_cross_entropy)");
}

std::string loss_name(LossKind loss) {
  switch (loss) {
    case LossKind::CrossEntropy:
      return "cross_entropy";
    case LossKind::Mse:
      return "mse";
    case LossKind::Bce:
      return "bce";
    case LossKind::PixelCrossEntropy:
      return "pixel_cross_entropy";
  }
  return "?";
}

bool is_classification(LossKind loss) {
  return loss != LossKind::Mse;
}

std::vector<std::string> metric_names(LossKind loss, int64_t top_k) {
  if (loss == LossKind::Mse) return regression_metric_names();
  if (loss == LossKind::CrossEntropy && top_k > 1) return classification_metric_names(top_k);
  return {"accuracy"};
}

Tensor labels_tensor(const std::vector<int64_t>& labels, const Shape& shape) {
  std::vector<float> v(labels.begin(), labels.end());
  return Tensor::from_vector(v, shape);
}

Tensor loss_target(const Tensor& out, const data::Batch& b, LossKind loss) {
  const int64_t n = out.size(0);
  switch (loss) {
    case LossKind::CrossEntropy:
      PHYSCNN_CHECK_ARG(!b.labels.empty(),
                        "loss cross_entropy needs class labels, the data has regression targets");
      PHYSCNN_CHECK_SHAPE(out.dim() == 2, "loss cross_entropy: model output ", out.shape().str(),
                          " should be (N, classes)");
      return labels_tensor(b.labels, Shape{n});
    case LossKind::Mse:
    case LossKind::Bce: {
      const Tensor t = b.labels.empty() ? b.targets : labels_tensor(b.labels, Shape{n});
      PHYSCNN_CHECK_ARG(loss != LossKind::Mse || b.labels.empty(),
                        "loss mse needs regression targets, the data has class labels (use "
                        "cross_entropy, or float targets)");
      PHYSCNN_CHECK_SHAPE(t.numel() == out.numel(), "loss ", loss_name(loss), ": model output ",
                          out.shape().str(), " and targets ", t.shape().str(), " differ in size");
      return t.reshape(out.shape()).to(out.dtype());
    }
    case LossKind::PixelCrossEntropy: {
      PHYSCNN_CHECK_SHAPE(out.dim() == 4, "loss pixel_cross_entropy: model output ",
                          out.shape().str(), " should be (N, classes, H, W)");
      PHYSCNN_CHECK_ARG(b.targets.defined(),
                        "loss pixel_cross_entropy needs per-pixel targets "
                        "stored as (N, H*W)");
      const Shape s{n, out.size(2), out.size(3)};
      PHYSCNN_CHECK_SHAPE(b.targets.numel() == s.numel(), "loss pixel_cross_entropy: output ",
                          out.shape().str(), " needs targets of ", s.numel(), " values, got ",
                          b.targets.shape().str());
      return b.targets.reshape(s);
    }
  }
  return {};
}

ag::Var loss_of(const ag::Var& out, const Tensor& target, LossKind loss) {
  switch (loss) {
    case LossKind::CrossEntropy:
    case LossKind::PixelCrossEntropy:
      return ag::cross_entropy(out, target);
    case LossKind::Mse:
      return ag::mse_loss(out, ag::Var(target));
    case LossKind::Bce:
      return ag::bce_with_logits(out, target);
  }
  return {};
}

data::Batch batch_rows(const data::Batch& b, int64_t lo, int64_t hi) {
  data::Batch part;
  part.inputs = b.inputs.slice(0, lo, hi);
  if (!b.labels.empty()) part.labels.assign(b.labels.begin() + lo, b.labels.begin() + hi);
  if (b.targets.defined()) part.targets = b.targets.slice(0, lo, hi);
  return part;
}

}  // namespace physcnn::train

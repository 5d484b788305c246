// Segmentation losses composed from existing ops (no backward of their own): soft Dice and the
// focal loss, both on logits (N,C,d1,...) against class indices (N,d1,...), as the per-pixel
// cross-entropy takes them. Formulas and conventions in autograd/functional.hpp.
#include <cmath>
#include <string>

#include "autograd/functional.hpp"
#include "core/error.hpp"

namespace physcnn::autograd {

namespace {

// The targets as a one-hot tensor of the logits' shape and dtype; every target must be a class
// index in [0, C) (ignored pixels have no meaning for a ratio over the image).
Tensor one_hot(const Var& logits, const Tensor& target, const char* op) {
  PHYSCNN_CHECK_SHAPE(logits.dim() >= 2, op, ": logits ", logits.shape().str(),
                      " should be (N, C, ...)");
  const int64_t n = logits.size(0), c = logits.size(1), per = logits.numel() / (n * c);
  PHYSCNN_CHECK_SHAPE(target.defined() && target.numel() == n * per && target.size(0) == n, op,
                      ": target ", target.defined() ? target.shape().str() : "(none)",
                      " does not match logits ", logits.shape().str(),
                      " (one class index per pixel expected)");
  const std::vector<double> t = target.contiguous().to_vector();
  std::vector<double> h(size_t(n * c * per), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < per; ++j) {
      const double v = t[size_t(i * per + j)];
      const auto k = int64_t(std::llround(v));
      PHYSCNN_CHECK_ARG(v == double(k) && k >= 0 && k < c, op, ": target ", v, " at sample ", i,
                        ", pixel ", j, " is not a class index in [0, ", c, ")");
      h[size_t((i * c + k) * per + j)] = 1.0;
    }
  return Tensor::from_vector(h, logits.shape()).to(logits.dtype());
}

}  // namespace

Var dice_loss(const Var& logits, const Tensor& target, double smooth) {
  PHYSCNN_CHECK_ARG(smooth >= 0 && std::isfinite(smooth), "dice_loss: smooth must be >= 0, got ",
                    smooth);
  const Var t(one_hot(logits, target, "dice_loss"));
  const int64_t n = logits.size(0), c = logits.size(1);
  Var p = softmax(logits, 1);
  Var flat_p = reshape(p, Shape{n, c, p.numel() / (n * c)});
  Var flat_t = reshape(t, flat_p.shape());
  const Var intersection = sum(mul(flat_p, flat_t), {2});     // (N, C)
  const Var total = add(sum(flat_p, {2}), sum(flat_t, {2}));  // (N, C)
  const Var dice = div(add_scalar(scale(intersection, 2.0), smooth), add_scalar(total, smooth));
  return add_scalar(neg(mean(dice)), 1.0);
}

Var focal_loss(const Var& logits, const Tensor& target, int64_t gamma) {
  PHYSCNN_CHECK_ARG(gamma >= 0 && gamma <= 8,
                    "focal_loss: gamma must be an integer in [0, 8], got ", gamma);
  const Var t(one_hot(logits, target, "focal_loss"));
  const Var log_pt = sum(mul(log_softmax(logits, 1), t), {1});  // (N, d1, ...)
  Var weighted = log_pt;
  if (gamma > 0) {
    const Var w = add_scalar(neg(exp(log_pt)), 1.0);  // 1 - p_t
    Var modulating = w;
    for (int64_t k = 1; k < gamma; ++k) modulating = mul(modulating, w);
    weighted = mul(modulating, log_pt);
  }
  return neg(mean(weighted));
}

}  // namespace physcnn::autograd

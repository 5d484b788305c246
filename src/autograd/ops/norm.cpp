// Batch normalisation (hand-written backward, kernels/norm) and dropout / dropout2d (a saved
// mask of 0 or 1/(1-p) drawn from the caller's Rng).
#include <cmath>
#include <vector>

#include "autograd/functional.hpp"
#include "kernels/norm.hpp"

namespace physcnn::autograd {

namespace {

// Checks an optional per-channel tensor (weight, bias, running statistic) against (C).
void check_channel_tensor(const char* what, const Tensor& t, const Shape& xs, DType dt) {
  if (!t.defined()) return;
  PHYSCNN_CHECK_SHAPE(t.dim() == 1 && t.size(0) == xs[1], "batch_norm: ", what, " has shape ",
                      t.shape().str(), ", expected [", xs[1], "] for input ", xs.str());
  PHYSCNN_CHECK_ARG(t.dtype() == dt, "batch_norm: ", what, " is ", dtype_name(t.dtype()),
                    ", input is ", dtype_name(dt));
}

std::vector<double> to_doubles(const Tensor& t) {
  return t.to_vector();
}

}  // namespace

namespace {

// batch_norm, and with relu the fused relu(batch_norm(...)): the clamp happens in the output
// pass, the backward masks the output gradient inside its two passes, and no pre-activation
// tensor is stored (issue 5: W2's BatchNorm + ReLU were a third of its step).
Var batch_norm_impl(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps, bool relu) {
  PHYSCNN_CHECK_ARG(x.defined(), "batch_norm: undefined input");
  const Shape xs = x.shape();
  PHYSCNN_CHECK_SHAPE(xs.rank() >= 2, "batch_norm: input must be (N,C), (N,C,L) or (N,C,H,W), got ",
                      xs.str());
  PHYSCNN_CHECK_ARG(eps > 0 && std::isfinite(eps), "batch_norm: eps must be positive, got ", eps);
  const DType dt = x.dtype();
  check_channel_tensor("weight", weight.defined() ? weight.value() : Tensor(), xs, dt);
  check_channel_tensor("bias", bias.defined() ? bias.value() : Tensor(), xs, dt);
  check_channel_tensor("running_mean", running_mean, xs, dt);
  check_channel_tensor("running_var", running_var, xs, dt);
  PHYSCNN_CHECK_ARG(running_mean.defined() == running_var.defined(),
                    "batch_norm: running_mean and running_var must both be given or both not");
  PHYSCNN_CHECK_ARG(training || running_mean.defined(),
                    "batch_norm: evaluation needs running statistics (input ", xs.str(), ")");

  kernels::BatchNormDims d{.N = xs[0], .C = xs[1], .S = 1};
  for (int64_t i = 2; i < xs.rank(); ++i) d.S *= xs[i];
  PHYSCNN_CHECK_SHAPE(!training || d.N * d.S > 1,
                      "batch_norm: training needs more than 1 value per channel, got input ",
                      xs.str());

  const Tensor xv = x.value().contiguous();
  const Tensor wv = weight.defined() ? weight.value().contiguous() : Tensor();
  const Tensor bv = bias.defined() ? bias.value().contiguous() : Tensor();
  Tensor y = Tensor::empty(xs, dt);
  const size_t C = static_cast<size_t>(d.C);
  // Per-channel statistics the backward needs, kept in double whatever T is.
  auto mean = std::make_shared<std::vector<double>>(C);
  auto invstd = std::make_shared<std::vector<double>>(C);

  PHYSCNN_DISPATCH(dt, T, {
    const T* pw = wv.defined() ? wv.data<T>() : nullptr;
    const T* pb = bv.defined() ? bv.data<T>() : nullptr;
    if (training) {
      std::vector<double> var_unbiased(C);
      kernels::batch_norm_forward_train<T>(xv.data<T>(), pw, pb, y.data<T>(), mean->data(),
                                           invstd->data(), var_unbiased.data(), d, eps, relu);
      if (running_mean.defined()) {
        // In place, as PyTorch: the module's buffers change; they may be views.
        const std::vector<double> rm = to_doubles(running_mean), rv = to_doubles(running_var);
        for (size_t c = 0; c < C; ++c) {
          running_mean.set({int64_t(c)}, (1 - momentum) * rm[c] + momentum * (*mean)[c]);
          running_var.set({int64_t(c)}, (1 - momentum) * rv[c] + momentum * var_unbiased[c]);
        }
      }
    } else {
      *mean = to_doubles(running_mean);
      const std::vector<double> rv = to_doubles(running_var);
      for (size_t c = 0; c < C; ++c) (*invstd)[c] = 1.0 / std::sqrt(rv[c] + eps);
      kernels::batch_norm_forward_eval<T>(xv.data<T>(), pw, pb, y.data<T>(), mean->data(),
                                          invstd->data(), d, relu);
    }
  });

  std::vector<Var> inputs{x};
  const int64_t wi = weight.defined() ? int64_t(inputs.size()) : -1;
  if (weight.defined()) inputs.push_back(weight);
  const int64_t bi = bias.defined() ? int64_t(inputs.size()) : -1;
  if (bias.defined()) inputs.push_back(bias);
  const char* name = relu ? (training ? "batch_norm_relu" : "batch_norm_relu_eval")
                          : (training ? "batch_norm" : "batch_norm_eval");
  // The fused op keeps its output for the mask (the graph holds it anyway).
  const Tensor saved_y = relu ? y : Tensor();
  return make_op(
      name, y, inputs, [xv, wv, mean, invstd, d, training, wi, bi, dt, saved_y](Grads& g) {
        // gx overwrites the output gradient when nobody else holds it (asked
        // before gy below becomes a second holder).
        Tensor gx = g.needs(0) ? g.reusable_out() : Tensor(), gw, gb;
        const Tensor gy = g.out.contiguous();
        if (g.needs(0) && !gx.defined()) gx = Tensor::empty(xv.shape(), dt);
        if (wi >= 0 && g.needs(size_t(wi))) gw = Tensor::empty(wv.shape(), dt);
        if (bi >= 0 && g.needs(size_t(bi))) gb = Tensor::empty(Shape{d.C}, dt);
        PHYSCNN_DISPATCH(dt, T, {
          kernels::batch_norm_backward<T>(
              gy.data<T>(), xv.data<T>(), wv.defined() ? wv.data<T>() : nullptr, mean->data(),
              invstd->data(), gx.defined() ? gx.data<T>() : nullptr,
              gw.defined() ? gw.data<T>() : nullptr, gb.defined() ? gb.data<T>() : nullptr, d,
              training, saved_y.defined() ? saved_y.data<T>() : nullptr);
        });
        if (gx.defined()) g.in[0] = gx;
        if (gw.defined()) g.in[size_t(wi)] = gw;
        if (gb.defined()) g.in[size_t(bi)] = gb;
      });
}

}  // namespace

Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
               Tensor& running_var, bool training, double momentum, double eps) {
  return batch_norm_impl(x, weight, bias, running_mean, running_var, training, momentum, eps,
                         false);
}

Var batch_norm_relu(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  return batch_norm_impl(x, weight, bias, running_mean, running_var, training, momentum, eps, true);
}

namespace {

void check_dropout_p(const char* op, double p) {
  PHYSCNN_CHECK_ARG(p >= 0.0 && p <= 1.0, op, ": probability p must be in [0, 1], got ", p);
}

// A mask of `count` values, each 0 with probability p and 1/(1-p) otherwise (0 for p == 1),
// drawn in order from rng: one 32-bit draw per value, kept when it is >= p * 2^32.
Tensor draw_mask(const Shape& shape, double p, DType dt, Rng& rng) {
  Tensor mask = Tensor::empty(shape, dt);
  const uint64_t threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  const double keep_scale = p < 1.0 ? 1.0 / (1.0 - p) : 0.0;
  PHYSCNN_DISPATCH(dt, T, {
    T* m = mask.data<T>();
    const T scale = T(keep_scale);
    for (int64_t i = 0; i < mask.numel(); ++i) m[i] = rng.next_u32() >= threshold ? scale : T(0);
  });
  return mask;
}

}  // namespace

Var dropout(const Var& x, double p, bool training, Rng& rng) {
  check_dropout_p("dropout", p);
  PHYSCNN_CHECK_ARG(x.defined(), "dropout: undefined input");
  if (!training || p == 0.0) return x;
  const Tensor mask = draw_mask(x.shape(), p, x.dtype(), rng);
  return make_op("dropout", physcnn::mul(x.value(), mask), {x},
                 [mask](Grads& g) { g.in[0] = physcnn::mul(g.out, mask); });
}

Var dropout2d(const Var& x, double p, bool training, Rng& rng) {
  check_dropout_p("dropout2d", p);
  PHYSCNN_CHECK_ARG(x.defined(), "dropout2d: undefined input");
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "dropout2d: input must be (N,C,H,W), got ", x.shape().str());
  if (!training || p == 0.0) return x;
  // One draw per (sample, channel), broadcast over H and W.
  const Tensor mask = draw_mask(Shape{x.size(0), x.size(1), 1, 1}, p, x.dtype(), rng);
  return make_op("dropout2d", physcnn::mul(x.value(), mask), {x},
                 [mask](Grads& g) { g.in[0] = physcnn::mul(g.out, mask); });
}

}  // namespace physcnn::autograd

// Synchronised batch norm: batch statistics summed over the replicas of a data-parallel job with
// a caller's ReplicaSum (dependency-free here; the trainer passes an MPI all-reduce).
#include <cmath>
#include <vector>

#include "autograd/functional.hpp"
#include "kernels/norm.hpp"

namespace physcnn::autograd {

Var batch_norm_replicas(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
                        Tensor& running_var, double momentum, double eps, bool relu,
                        const ReplicaSum& sum) {
  PHYSCNN_CHECK_ARG(x.defined() && x.dim() >= 2, "batch_norm_replicas: input must be (N,C,...)");
  PHYSCNN_CHECK_ARG(eps > 0 && std::isfinite(eps), "batch_norm_replicas: eps must be positive");
  PHYSCNN_CHECK_ARG(sum != nullptr, "batch_norm_replicas: no replica sum");
  const Shape xs = x.shape();
  const DType dt = x.dtype();
  kernels::BatchNormDims d{.N = xs[0], .C = xs[1], .S = 1};
  for (int64_t i = 2; i < xs.rank(); ++i) d.S *= xs[i];
  const auto C = size_t(d.C);
  const Tensor xv = x.value().contiguous();
  const Tensor wv = weight.defined() ? weight.value().contiguous() : Tensor();
  const Tensor bv = bias.defined() ? bias.value().contiguous() : Tensor();
  // [count, sum x per channel, sum x^2 per channel], accumulated in double, then over replicas.
  std::vector<double> stats(1 + 2 * C, 0.0);
  stats[0] = double(d.N * d.S);
  PHYSCNN_DISPATCH(dt, T, {
    const T* px = xv.data<T>();
    for (int64_t n = 0; n < d.N; ++n)
      for (size_t c = 0; c < C; ++c) {
        const T* row = px + (n * d.C + int64_t(c)) * d.S;
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < d.S; ++i) {
          s += double(row[i]);
          s2 += double(row[i]) * double(row[i]);
        }
        stats[1 + c] += s;
        stats[1 + C + c] += s2;
      }
  });
  sum(stats);
  const double M = stats[0];
  PHYSCNN_CHECK_SHAPE(M > 1,
                      "batch_norm_replicas: training needs more than 1 value per channel "
                      "over all replicas, got ",
                      M);
  auto mean = std::make_shared<std::vector<double>>(C);
  auto invstd = std::make_shared<std::vector<double>>(C);
  std::vector<double> var_unbiased(C);
  for (size_t c = 0; c < C; ++c) {
    const double m = stats[1 + c] / M;
    const double var = std::max(0.0, stats[1 + C + c] / M - m * m);  // biased, as PyTorch
    (*mean)[c] = m;
    (*invstd)[c] = 1.0 / std::sqrt(var + eps);
    var_unbiased[c] = var * M / (M - 1);
  }
  if (running_mean.defined()) {
    const std::vector<double> rm = running_mean.to_vector(), rv = running_var.to_vector();
    for (size_t c = 0; c < C; ++c) {
      running_mean.set({int64_t(c)}, (1 - momentum) * rm[c] + momentum * (*mean)[c]);
      running_var.set({int64_t(c)}, (1 - momentum) * rv[c] + momentum * var_unbiased[c]);
    }
  }
  Tensor y = Tensor::empty(xs, dt);
  PHYSCNN_DISPATCH(dt, T, {
    kernels::batch_norm_forward_eval<T>(xv.data<T>(), wv.defined() ? wv.data<T>() : nullptr,
                                        bv.defined() ? bv.data<T>() : nullptr, y.data<T>(),
                                        mean->data(), invstd->data(), d, relu);
  });
  std::vector<Var> inputs{x};
  const int64_t wi = weight.defined() ? int64_t(inputs.size()) : -1;
  if (weight.defined()) inputs.push_back(weight);
  const int64_t bi = bias.defined() ? int64_t(inputs.size()) : -1;
  if (bias.defined()) inputs.push_back(bias);
  const Tensor saved_y = relu ? y : Tensor();
  return make_op(relu ? "batch_norm_relu_replicas" : "batch_norm_replicas", y, inputs,
                 [xv, wv, mean, invstd, d, wi, bi, dt, saved_y, sum, M](Grads& g) {
                   const auto C = size_t(d.C);
                   const Tensor gy = g.out.contiguous();
                   // [sum gy, sum gy * xhat] per channel: this replica's, then over all replicas.
                   std::vector<double> local(2 * C, 0.0);
                   PHYSCNN_DISPATCH(dt, T, {
                     const T* py = gy.data<T>();
                     const T* px = xv.data<T>();
                     const T* ry = saved_y.defined() ? saved_y.data<T>() : nullptr;
                     for (int64_t n = 0; n < d.N; ++n)
                       for (size_t c = 0; c < C; ++c) {
                         const int64_t at = (n * d.C + int64_t(c)) * d.S;
                         double s = 0, sx = 0;
                         for (int64_t i = 0; i < d.S; ++i) {
                           const double gi = ry && !(ry[at + i] > T(0)) ? 0.0 : double(py[at + i]);
                           s += gi;
                           sx += gi * (double(px[at + i]) - (*mean)[c]) * (*invstd)[c];
                         }
                         local[c] += s;
                         local[C + c] += sx;
                       }
                   });
                   Tensor gw, gb;
                   if (wi >= 0 && g.needs(size_t(wi))) {
                     std::vector<double> v(local.begin() + int64_t(C), local.end());
                     gw = Tensor::from_vector(v, Shape{d.C}).to(dt);
                   }
                   if (bi >= 0 && g.needs(size_t(bi))) {
                     std::vector<double> v(local.begin(), local.begin() + int64_t(C));
                     gb = Tensor::from_vector(v, Shape{d.C}).to(dt);
                   }
                   std::vector<double> global = local;
                   sum(global);  // every replica, whether or not it needs the input's gradient
                   if (g.needs(0)) {
                     Tensor gx = Tensor::empty(xv.shape(), dt);
                     PHYSCNN_DISPATCH(dt, T, {
                       const T* py = gy.data<T>();
                       const T* px = xv.data<T>();
                       const T* pw = wv.defined() ? wv.data<T>() : nullptr;
                       const T* ry = saved_y.defined() ? saved_y.data<T>() : nullptr;
                       T* out = gx.data<T>();
                       for (int64_t n = 0; n < d.N; ++n)
                         for (size_t c = 0; c < C; ++c) {
                           const int64_t at = (n * d.C + int64_t(c)) * d.S;
                           const double k = (pw ? double(pw[c]) : 1.0) * (*invstd)[c];
                           const double mg = global[c] / M, mgx = global[C + c] / M;
                           for (int64_t i = 0; i < d.S; ++i) {
                             const double gi =
                                 ry && !(ry[at + i] > T(0)) ? 0.0 : double(py[at + i]);
                             const double xhat = (double(px[at + i]) - (*mean)[c]) * (*invstd)[c];
                             out[at + i] = T(k * (gi - mg - xhat * mgx));
                           }
                         }
                     });
                     g.in[0] = gx;
                   }
                   if (gw.defined()) g.in[size_t(wi)] = gw;
                   if (gb.defined()) g.in[size_t(bi)] = gb;
                 });
}

}  // namespace physcnn::autograd

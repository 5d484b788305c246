// Activations: elementwise ones with tiny backward lambdas (derivative from the saved input or
// output), and softmax / log_softmax with hand-written backward through kernels/softmax.
#include <algorithm>
#include <cmath>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "kernels/softmax.hpp"

namespace physcnn::autograd {

namespace {

constexpr int64_t kGrain = 1 << 14;

// out[i] = f(a[i]) for a contiguous tensor; f is a generic lambda called with T.
template <class F>
Tensor map1(const Tensor& a0, F f) {
  const Tensor a = a0.contiguous();
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    const T* pa = a.data<T>();
    T* po = out.data<T>();
    parallel_for(0, a.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) po[i] = f(pa[i]);
    });
  });
  return out;
}

// out[i] = f(a[i], b[i]) for two tensors of the same shape and dtype; into `into` when it is
// defined (contiguous, same shape; it may be a itself), else into a new tensor.
template <class F>
Tensor map2(const Tensor& a0, const Tensor& b0, F f, Tensor into = Tensor()) {
  const Tensor a = a0.contiguous(), b = b0.contiguous();
  Tensor out = into.defined() ? into : Tensor::empty(a.shape(), a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    parallel_for(0, a.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) po[i] = f(pa[i], pb[i]);
    });
  });
  return out;
}

// An elementwise op: y = f(x); backward gx = df(gy, saved) with saved = x or y.
template <class F, class DF>
Var unary_op(const char* name, const Var& x, bool save_output, F f, DF df) {
  PHYSCNN_CHECK_ARG(x.defined(), name, ": undefined input");
  Tensor y = map1(x.value(), f);
  const Tensor saved = save_output ? y : x.value();
  // The gradient overwrites the output gradient when nobody else holds it: one pass over
  // two inputs and no new buffer (ReLU backward: gx = y > 0 ? gy : 0 in place).
  return make_op(name, y, {x},
                 [saved, df](Grads& g) { g.in[0] = map2(g.out, saved, df, g.reusable_out()); });
}

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi)
constexpr double kGeluCubic = 0.044715;                  // Hendrycks & Gimpel tanh fit

}  // namespace

Var relu(const Var& x) {
  return unary_op(
      "relu", x, true, [](auto v) { return !(v <= 0) ? v : decltype(v)(0); },  // NaN stays NaN
      [](auto gy, auto y) { return y > 0 ? gy : decltype(gy)(0); });
}

Var leaky_relu(const Var& x, double negative_slope) {
  return unary_op(
      "leaky_relu", x, false,
      [negative_slope](auto v) { return v > 0 ? v : decltype(v)(v * negative_slope); },
      [negative_slope](auto gy, auto v) { return v > 0 ? gy : decltype(gy)(gy * negative_slope); });
}

Var elu(const Var& x, double alpha) {
  // The derivative alpha*exp(x) is taken from x rather than y + alpha: exact also for alpha < 0.
  return unary_op(
      "elu", x, false,
      [alpha](auto v) { return v > 0 ? v : decltype(v)(alpha * std::expm1(double(v))); },
      [alpha](auto gy, auto v) {
        return v > 0 ? gy : decltype(gy)(double(gy) * alpha * std::exp(double(v)));
      });
}

Var gelu(const Var& x, GeluApprox approximate) {
  if (approximate == GeluApprox::None) {
    // x * Phi(x) with the normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2.
    return unary_op(
        "gelu", x, false,
        [](auto v) {
          const double d = double(v);
          return decltype(v)(0.5 * d * (1.0 + std::erf(d * kSqrt1_2)));
        },
        [](auto gy, auto v) {
          const double d = double(v);
          const double cdf = 0.5 * (1.0 + std::erf(d * kSqrt1_2));
          const double pdf = kInvSqrt2Pi * std::exp(-0.5 * d * d);
          return decltype(gy)(double(gy) * (cdf + d * pdf));
        });
  }
  // PyTorch's approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  return unary_op(
      "gelu_tanh", x, false,
      [](auto v) {
        const double d = double(v);
        return decltype(v)(0.5 * d *
                           (1.0 + std::tanh(kSqrt2OverPi * (d + kGeluCubic * d * d * d))));
      },
      [](auto gy, auto v) {
        const double d = double(v);
        const double t = std::tanh(kSqrt2OverPi * (d + kGeluCubic * d * d * d));
        const double dinner = kSqrt2OverPi * (1.0 + 3.0 * kGeluCubic * d * d);
        return decltype(gy)(double(gy) * (0.5 * (1.0 + t) + 0.5 * d * (1.0 - t * t) * dinner));
      });
}

Var sigmoid(const Var& x) {
  // Split by sign so that exp never overflows. The derivative s(1-s) = e/(1+e)^2 with
  // e = exp(-|x|) is taken from x: from a float32 output, 1 - s cancels for large x.
  return unary_op(
      "sigmoid", x, false,
      [](auto v) {
        const double d = double(v);
        const double e = std::exp(-std::abs(d));
        return decltype(v)(d >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
      },
      [](auto gy, auto v) {
        const double e = std::exp(-std::abs(double(v)));
        return decltype(gy)(double(gy) * e / ((1.0 + e) * (1.0 + e)));
      });
}

Var tanh(const Var& x) {
  // 1 - tanh^2 = 1 / cosh^2 from x, for the same reason (1 - y*y cancels when |y| -> 1).
  return unary_op(
      "tanh", x, false, [](auto v) { return decltype(v)(std::tanh(v)); },
      [](auto gy, auto v) {
        const double c = std::cosh(double(v));
        return decltype(gy)(double(gy) / (c * c));
      });
}

namespace {

// softmax / log_softmax along `dim`: the tensor is viewed as (outer, D, inner).
Var softmax_impl(const char* name, const Var& x, int64_t dim, bool log) {
  PHYSCNN_CHECK_ARG(x.defined(), name, ": undefined input");
  const Shape& s = x.shape();
  // A 0-d tensor behaves as rank 1 of length 1 (dim 0 or -1), as PyTorch.
  const int64_t rank = std::max<int64_t>(1, s.rank());
  PHYSCNN_CHECK_SHAPE(dim >= -rank && dim < rank, name, ": dim ", dim, " out of range for input ",
                      s.str(), " of rank ", s.rank());
  int64_t outer = 1, inner = 1, D = 1;
  if (s.rank() > 0) {
    const int64_t d = s.normalize(dim);
    for (int64_t i = 0; i < d; ++i) outer *= s[i];
    for (int64_t i = d + 1; i < s.rank(); ++i) inner *= s[i];
    D = s[d];
  }
  const Tensor xv = x.value().contiguous();
  Tensor y = Tensor::empty(s, xv.dtype());
  PHYSCNN_DISPATCH(xv.dtype(), T, {
    kernels::softmax_forward<T>(xv.data<T>(), y.data<T>(), outer, D, inner, log);
  });
  return make_op(name, y, {x}, [y, outer, D, inner, log](Grads& g) {
    const Tensor gy = g.out.contiguous();
    Tensor gx = Tensor::empty(y.shape(), y.dtype());
    PHYSCNN_DISPATCH(y.dtype(), T, {
      kernels::softmax_backward<T>(y.data<T>(), gy.data<T>(), gx.data<T>(), outer, D, inner, log);
    });
    g.in[0] = gx;
  });
}

}  // namespace

Var softmax(const Var& x, int64_t dim) {
  return softmax_impl("softmax", x, dim, false);
}

Var log_softmax(const Var& x, int64_t dim) {
  return softmax_impl("log_softmax", x, dim, true);
}

}  // namespace physcnn::autograd

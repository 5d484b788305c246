// Gradient clipping: one pass to measure the joint norm, one to write the scaled copies.
#include "optim/clip.hpp"

#include <algorithm>
#include <cmath>

namespace physcnn::optim {

namespace {

// Sum of |g|^p (or max |g| for p = inf) over one contiguous gradient, in double.
template <class T>
double norm_part(const T* g, int64_t n, double p) {
  double acc = 0.0;
  if (std::isinf(p)) {
    for (int64_t j = 0; j < n; ++j) {
      const double a = std::abs(static_cast<double>(g[j]));
      if (a > acc || std::isnan(a)) acc = a;  // NaN sticks: later comparisons are false
      if (std::isnan(acc)) break;
    }
  } else if (p == 2.0) {
    for (int64_t j = 0; j < n; ++j) acc += static_cast<double>(g[j]) * static_cast<double>(g[j]);
  } else if (p == 1.0) {
    for (int64_t j = 0; j < n; ++j) acc += std::abs(static_cast<double>(g[j]));
  } else {
    for (int64_t j = 0; j < n; ++j) acc += std::pow(std::abs(static_cast<double>(g[j])), p);
  }
  return acc;
}

// g (n) -> out (n) = g * coef, coef rounded to T as PyTorch's float32 clip_coef is.
template <class T>
void scale_into(const T* g, T* out, int64_t n, double coef) {
  const T c = static_cast<T>(coef);
  for (int64_t j = 0; j < n; ++j) out[j] = g[j] * c;
}

template <class T>
void clamp_into(const T* g, T* out, int64_t n, double clip) {
  const T hi = static_cast<T>(clip), lo = -hi;
  for (int64_t j = 0; j < n; ++j) out[j] = std::clamp(g[j], lo, hi);  // NaN passes through
}

}  // namespace

double clip_grad_norm(const std::vector<autograd::Var>& params, double max_norm, double norm_type,
                      bool error_if_nonfinite) {
  PHYSCNN_CHECK_ARG(std::isfinite(max_norm) && max_norm >= 0.0,
                    "clip_grad_norm: max_norm must be finite and >= 0, got ", max_norm);
  PHYSCNN_CHECK_ARG(norm_type > 0.0, "clip_grad_norm: norm_type must be > 0 (or kInfNorm), got ",
                    norm_type);
  const bool inf = std::isinf(norm_type);
  double acc = 0.0;
  bool any = false;
  for (const auto& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    any = true;
    const Tensor g = p.grad().contiguous();
    double part = 0.0;
    PHYSCNN_DISPATCH(g.dtype(), T, { part = norm_part<T>(g.data<T>(), g.numel(), norm_type); });
    if (!inf)
      acc += part;
    else if (std::isnan(part) || part > acc)  // once acc is NaN no comparison replaces it
      acc = part;
  }
  if (!any) return 0.0;
  const double total =
      inf ? acc : (norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type));
  if (!std::isfinite(total)) {
    PHYSCNN_CHECK(!error_if_nonfinite, NumericalError, "clip_grad_norm: the total ", norm_type,
                  "-norm of the gradients is ", total, " (non-finite)");
    return total;
  }
  const double coef = max_norm / (total + 1e-6);
  if (coef >= 1.0) return total;
  for (const auto& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    autograd::Var v = p;  // a handle: writing its grad replaces the node's gradient
    const Tensor g = v.grad().contiguous();
    Tensor out = Tensor::empty_like(g);
    PHYSCNN_DISPATCH(g.dtype(), T, { scale_into<T>(g.data<T>(), out.data<T>(), g.numel(), coef); });
    v.grad() = out;
  }
  return total;
}

void clip_grad_value(const std::vector<autograd::Var>& params, double clip_value) {
  PHYSCNN_CHECK_ARG(std::isfinite(clip_value) && clip_value >= 0.0,
                    "clip_grad_value: clip_value must be finite and >= 0, got ", clip_value);
  for (const auto& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    autograd::Var v = p;
    const Tensor g = v.grad().contiguous();
    Tensor out = Tensor::empty_like(g);
    PHYSCNN_DISPATCH(g.dtype(), T,
                     { clamp_into<T>(g.data<T>(), out.data<T>(), g.numel(), clip_value); });
    v.grad() = out;
  }
}

}  // namespace physcnn::optim

// Adam and AdamW: option checks and the fused per-parameter update.
#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "optim/sqrt_block.hpp"

namespace physcnn::optim {

namespace {

const AdamOptions& validated(const std::string& name, const AdamOptions& o) {
  PHYSCNN_CHECK_ARG(std::isfinite(o.lr) && o.lr >= 0.0, name, ": lr must be finite and >= 0, got ",
                    o.lr);
  PHYSCNN_CHECK_ARG(std::isfinite(o.eps) && o.eps >= 0.0, name,
                    ": eps must be finite and >= 0, got ", o.eps);
  for (int k = 0; k < 2; ++k)
    PHYSCNN_CHECK_ARG(o.betas[k] >= 0.0 && o.betas[k] < 1.0, name, ": betas[", k,
                      "] must be in [0, 1), got ", o.betas[k]);
  PHYSCNN_CHECK_ARG(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0, name,
                    ": weight_decay must be finite and >= 0, got ", o.weight_decay);
  return o;
}

AdamOptions as_adam(const AdamWOptions& o) {
  return {.lr = o.lr,
          .betas = o.betas,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad,
          .maximize = o.maximize};
}

// Scalars of one step, computed in double as PyTorch does in Python.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  double step_size;              // lr / (1 - beta1^t)
  double bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  bool decoupled, maximize;
};

// Reference: p, grad, m, v, vmax (n); vmax is used with AMSGrad only. The operation order
// follows PyTorch's in-place op sequence so that float32 rounds the same way.
template <class T, bool kDecoupled, bool kAmsgrad>
void adam_update_reference(T* p, const T* grad, T* m, T* v, T* vmax, int64_t n, const AdamStep& s) {
  const T b1 = static_cast<T>(s.beta1), one_minus_b1 = static_cast<T>(1.0 - s.beta1);
  const T b2 = static_cast<T>(s.beta2), one_minus_b2 = static_cast<T>(1.0 - s.beta2);
  const T eps = static_cast<T>(s.eps), bc2 = static_cast<T>(s.bias_correction2_sqrt);
  const T neg_step = static_cast<T>(-s.step_size), wd = static_cast<T>(s.weight_decay);
  const T shrink = static_cast<T>(1.0 - s.lr * s.weight_decay);
  const bool coupled_wd = !kDecoupled && s.weight_decay != 0.0, maximize = s.maximize;
  parallel_for(0, n, kUpdateGrain, [=](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      T d = maximize ? -grad[j] : grad[j];
      T pj = p[j];
      if constexpr (kDecoupled) pj = pj * shrink;
      if (coupled_wd) d = d + wd * pj;
      const T mj = m[j] * b1 + one_minus_b1 * d;
      const T vj = v[j] * b2 + one_minus_b2 * d * d;
      T second = vj;
      if constexpr (kAmsgrad) {
        second = std::max(vmax[j], vj);
        vmax[j] = second;
      }
      const T denom = std::sqrt(second) / bc2 + eps;
      m[j] = mj;
      v[j] = vj;
      p[j] = pj + neg_step * (mj / denom);
    }
  });
}

// Fast (float32): the same operations in blocks — moments and the second-moment estimate in
// one vectorized pass, the square roots in sqrt_block, the parameter in a third pass — so it
// equals the reference bit for bit.
template <bool kDecoupled, bool kAmsgrad>
void adam_update_fast(float* p, const float* grad, float* m, float* v, float* vmax, int64_t n,
                      const AdamStep& s) {
  using T = float;
  const T b1 = static_cast<T>(s.beta1), one_minus_b1 = static_cast<T>(1.0 - s.beta1);
  const T b2 = static_cast<T>(s.beta2), one_minus_b2 = static_cast<T>(1.0 - s.beta2);
  const T eps = static_cast<T>(s.eps), bc2 = static_cast<T>(s.bias_correction2_sqrt);
  const T neg_step = static_cast<T>(-s.step_size), wd = static_cast<T>(s.weight_decay);
  const T shrink = static_cast<T>(1.0 - s.lr * s.weight_decay);
  const bool coupled_wd = !kDecoupled && s.weight_decay != 0.0, maximize = s.maximize;
  parallel_for(0, n, kUpdateGrain, [=](int64_t lo, int64_t hi) {
    alignas(64) T root[detail::kSqrtBlock];
    for (int64_t b0 = lo; b0 < hi; b0 += detail::kSqrtBlock) {
      const int64_t len = std::min(detail::kSqrtBlock, hi - b0);
      T* pb = p + b0;
      T* mb = m + b0;
      T* vb = v + b0;
      const T* gb = grad + b0;
      for (int64_t j = 0; j < len; ++j) {
        T d = maximize ? -gb[j] : gb[j];
        T pj = pb[j];
        if constexpr (kDecoupled) pj = pj * shrink;
        if (coupled_wd) d = d + wd * pj;
        const T mj = mb[j] * b1 + one_minus_b1 * d;
        const T vj = vb[j] * b2 + one_minus_b2 * d * d;
        mb[j] = mj;
        vb[j] = vj;
        T second = vj;
        if constexpr (kAmsgrad) {
          second = std::max(vmax[b0 + j], vj);
          vmax[b0 + j] = second;
        }
        root[j] = second;
      }
      detail::sqrt_block(root, len);
      for (int64_t j = 0; j < len; ++j) {
        T pj = pb[j];
        if constexpr (kDecoupled) pj = pj * shrink;
        pb[j] = pj + neg_step * (mb[j] / (root[j] / bc2 + eps));
      }
    }
  });
}

template <class T, bool kDecoupled, bool kAmsgrad>
void adam_update(T* p, const T* grad, T* m, T* v, T* vmax, int64_t n, const AdamStep& s) {
  if constexpr (std::is_same_v<T, float>) {
    if (kernels::use_fast<T>())
      return adam_update_fast<kDecoupled, kAmsgrad>(p, grad, m, v, vmax, n, s);
  }
  adam_update_reference<T, kDecoupled, kAmsgrad>(p, grad, m, v, vmax, n, s);
}

template <class T>
void adam_dispatch(T* p, const T* grad, T* m, T* v, T* vmax, int64_t n, const AdamStep& s) {
  if (s.decoupled) {
    vmax ? adam_update<T, true, true>(p, grad, m, v, vmax, n, s)
         : adam_update<T, true, false>(p, grad, m, v, vmax, n, s);
  } else {
    vmax ? adam_update<T, false, true>(p, grad, m, v, vmax, n, s)
         : adam_update<T, false, false>(p, grad, m, v, vmax, n, s);
  }
}

}  // namespace

Adam::Adam(const std::vector<autograd::Var>& params, const AdamOptions& options)
    : Adam("Adam", index_names(params), options, false) {}

Adam::Adam(NamedParams params, const AdamOptions& options)
    : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string name, NamedParams params, const AdamOptions& options, bool decoupled)
    : Optimizer(name, std::move(params), validated(name, options).lr),
      options_(options),
      decoupled_(decoupled) {}

std::vector<std::string> Adam::buffer_names() const {
  if (options_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

void Adam::update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) {
  const double t = static_cast<double>(st.step);
  const double bias_correction1 = 1.0 - std::pow(options_.betas[0], t);
  const double bias_correction2 = 1.0 - std::pow(options_.betas[1], t);
  const AdamStep s{.lr = lr(),
                   .beta1 = options_.betas[0],
                   .beta2 = options_.betas[1],
                   .eps = options_.eps,
                   .weight_decay = options_.weight_decay,
                   .step_size = lr() / bias_correction1,
                   .bias_correction2_sqrt = std::sqrt(bias_correction2),
                   .decoupled = decoupled_,
                   .maximize = options_.maximize};
  PHYSCNN_DISPATCH(param.dtype(), T, {
    T* vmax = options_.amsgrad ? st.buffers[2].data<T>() + lo : nullptr;
    adam_dispatch<T>(param.data<T>() + lo, grad.data<T>() + lo, st.buffers[0].data<T>() + lo,
                     st.buffers[1].data<T>() + lo, vmax, hi - lo, s);
  });
}

AdamW::AdamW(const std::vector<autograd::Var>& params, const AdamWOptions& options)
    : Adam("AdamW", index_names(params), as_adam(options), true) {}

AdamW::AdamW(NamedParams params, const AdamWOptions& options)
    : Adam("AdamW", std::move(params), as_adam(options), true) {}

}  // namespace physcnn::optim

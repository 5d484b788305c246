// Adam and AdamW: option checks and the fused per-parameter update.
#include "optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"

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

// p, grad, m, v, vmax (n); vmax is null without AMSGrad. The operation order follows PyTorch's
// in-place op sequence so that float32 rounds the same way.
template <class T>
void adam_update(T* p, const T* grad, T* m, T* v, T* vmax, int64_t n, const AdamStep& s) {
  const T b1 = static_cast<T>(s.beta1), one_minus_b1 = static_cast<T>(1.0 - s.beta1);
  const T b2 = static_cast<T>(s.beta2), one_minus_b2 = static_cast<T>(1.0 - s.beta2);
  const T eps = static_cast<T>(s.eps), bc2 = static_cast<T>(s.bias_correction2_sqrt);
  const T neg_step = static_cast<T>(-s.step_size), wd = static_cast<T>(s.weight_decay);
  const T shrink = static_cast<T>(1.0 - s.lr * s.weight_decay);
  const bool coupled_wd = !s.decoupled && s.weight_decay != 0.0, decoupled = s.decoupled;
  const bool maximize = s.maximize;
  parallel_for(0, n, kUpdateGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      T d = maximize ? -grad[j] : grad[j];
      if (decoupled) p[j] = p[j] * shrink;
      if (coupled_wd) d = d + wd * p[j];
      m[j] = m[j] * b1 + one_minus_b1 * d;
      v[j] = v[j] * b2 + one_minus_b2 * d * d;
      T second = v[j];
      if (vmax) {
        vmax[j] = std::max(vmax[j], v[j]);
        second = vmax[j];
      }
      const T denom = std::sqrt(second) / bc2 + eps;
      p[j] = p[j] + neg_step * (m[j] / denom);
    }
  });
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

void Adam::update(Tensor& param, const Tensor& grad, ParamState& st) {
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
    T* vmax = options_.amsgrad ? st.buffers[2].data<T>() : nullptr;
    adam_update<T>(param.data<T>(), grad.data<T>(), st.buffers[0].data<T>(),
                   st.buffers[1].data<T>(), vmax, param.numel(), s);
  });
}

AdamW::AdamW(const std::vector<autograd::Var>& params, const AdamWOptions& options)
    : Adam("AdamW", index_names(params), as_adam(options), true) {}

AdamW::AdamW(NamedParams params, const AdamWOptions& options)
    : Adam("AdamW", std::move(params), as_adam(options), true) {}

}  // namespace physcnn::optim

// SGD: option checks and the fused per-parameter update.
#include "optim/sgd.hpp"

#include <cmath>

#include "core/parallel.hpp"

namespace physcnn::optim {

namespace {

const SgdOptions& validated(const SgdOptions& o) {
  PHYSCNN_CHECK_ARG(!std::isnan(o.lr), "SGD: lr is required (PyTorch has no default)");
  PHYSCNN_CHECK_ARG(std::isfinite(o.lr) && o.lr >= 0.0, "SGD: lr must be finite and >= 0, got ",
                    o.lr);
  PHYSCNN_CHECK_ARG(std::isfinite(o.momentum) && o.momentum >= 0.0,
                    "SGD: momentum must be finite and >= 0, got ", o.momentum);
  PHYSCNN_CHECK_ARG(std::isfinite(o.dampening), "SGD: dampening must be finite, got ", o.dampening);
  PHYSCNN_CHECK_ARG(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
                    "SGD: weight_decay must be finite and >= 0, got ", o.weight_decay);
  PHYSCNN_CHECK_ARG(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                    "SGD: nesterov requires momentum > 0 and dampening == 0, got momentum ",
                    o.momentum, " and dampening ", o.dampening);
  return o;
}

// p, grad, buf (n); buf is used when momentum != 0. Scalars are rounded to T first, as PyTorch
// does for the alpha/value arguments of its in-place ops. Whether buf is written is a template
// parameter so that the body is branch-free and vectorizes.
template <class T, bool kMomentum>
void sgd_update(T* p, const T* grad, T* buf, int64_t n, const SgdOptions& o, bool first) {
  const T lr = static_cast<T>(-o.lr), wd = static_cast<T>(o.weight_decay);
  const T mom = static_cast<T>(o.momentum), keep = static_cast<T>(1.0 - o.dampening);
  const bool use_wd = o.weight_decay != 0.0, nesterov = o.nesterov, maximize = o.maximize;
  parallel_for(0, n, kUpdateGrain, [=](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      T d = maximize ? -grad[j] : grad[j];
      const T pj = p[j];
      if (use_wd) d = d + wd * pj;
      if constexpr (kMomentum) {
        // PyTorch's first step: the buffer is a copy of d, not (1 - dampening) * d.
        const T b = first ? d : buf[j] * mom + keep * d;
        buf[j] = b;
        d = nesterov ? d + mom * b : b;
      }
      p[j] = pj + lr * d;
    }
  });
}

}  // namespace

Sgd::Sgd(const std::vector<autograd::Var>& params, const SgdOptions& options)
    : Sgd(index_names(params), options) {}

Sgd::Sgd(NamedParams params, const SgdOptions& options)
    : Optimizer("SGD", std::move(params), validated(options).lr), options_(options) {}

std::vector<std::string> Sgd::buffer_names() const {
  if (options_.momentum == 0.0) return {};
  return {"momentum_buffer"};
}

void Sgd::update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) {
  SgdOptions o = options_;
  o.lr = lr();
  const bool first = st.step == 1;
  PHYSCNN_DISPATCH(param.dtype(), T, {
    T* buf = st.buffers.empty() ? nullptr : st.buffers[0].data<T>() + lo;
    T* p = param.data<T>() + lo;
    const T* g = grad.data<T>() + lo;
    if (buf)
      sgd_update<T, true>(p, g, buf, hi - lo, o, first);
    else
      sgd_update<T, false>(p, g, buf, hi - lo, o, first);
  });
}

}  // namespace physcnn::optim

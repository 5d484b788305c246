// RMSprop: option checks and the fused per-parameter update.
#include "optim/rmsprop.hpp"

#include <cmath>

#include "core/parallel.hpp"

namespace physcnn::optim {

namespace {

const RmspropOptions& validated(const RmspropOptions& o) {
  PHYSCNN_CHECK_ARG(std::isfinite(o.lr) && o.lr >= 0.0, "RMSprop: lr must be finite and >= 0, got ",
                    o.lr);
  PHYSCNN_CHECK_ARG(std::isfinite(o.alpha) && o.alpha >= 0.0,
                    "RMSprop: alpha must be finite and >= 0, got ", o.alpha);
  PHYSCNN_CHECK_ARG(std::isfinite(o.eps) && o.eps >= 0.0,
                    "RMSprop: eps must be finite and >= 0, got ", o.eps);
  PHYSCNN_CHECK_ARG(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
                    "RMSprop: weight_decay must be finite and >= 0, got ", o.weight_decay);
  PHYSCNN_CHECK_ARG(std::isfinite(o.momentum) && o.momentum >= 0.0,
                    "RMSprop: momentum must be finite and >= 0, got ", o.momentum);
  return o;
}

// p, grad, sq, ga, buf (n); ga is null unless centered, buf null unless momentum > 0. The
// operation order follows PyTorch's in-place op sequence so float32 rounds the same way.
template <class T>
void rmsprop_update(T* p, const T* grad, T* sq, T* ga, T* buf, int64_t n, const RmspropOptions& o) {
  const T lr = static_cast<T>(-o.lr), wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha), one_minus_alpha = static_cast<T>(1.0 - o.alpha);
  const T eps = static_cast<T>(o.eps), mom = static_cast<T>(o.momentum);
  const bool use_wd = o.weight_decay != 0.0, maximize = o.maximize;
  parallel_for(0, n, kUpdateGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      T d = maximize ? -grad[j] : grad[j];
      if (use_wd) d = d + wd * p[j];
      sq[j] = sq[j] * alpha + one_minus_alpha * d * d;
      T avg;
      if (ga) {
        ga[j] = ga[j] * alpha + one_minus_alpha * d;
        avg = std::sqrt(sq[j] - ga[j] * ga[j]);
      } else {
        avg = std::sqrt(sq[j]);
      }
      avg = avg + eps;
      if (buf) {
        buf[j] = buf[j] * mom + d / avg;
        p[j] = p[j] + lr * buf[j];
      } else {
        p[j] = p[j] + lr * (d / avg);
      }
    }
  });
}

}  // namespace

Rmsprop::Rmsprop(const std::vector<autograd::Var>& params, const RmspropOptions& options)
    : Rmsprop(index_names(params), options) {}

Rmsprop::Rmsprop(NamedParams params, const RmspropOptions& options)
    : Optimizer("RMSprop", std::move(params), validated(options).lr), options_(options) {}

std::vector<std::string> Rmsprop::buffer_names() const {
  std::vector<std::string> names{"square_avg"};
  if (options_.momentum > 0.0) names.push_back("momentum_buffer");
  if (options_.centered) names.push_back("grad_avg");
  return names;
}

void Rmsprop::update(Tensor& param, const Tensor& grad, ParamState& st) {
  RmspropOptions o = options_;
  o.lr = lr();
  const bool use_mom = o.momentum > 0.0;
  PHYSCNN_DISPATCH(param.dtype(), T, {
    T* sq = st.buffers[0].data<T>();
    T* buf = use_mom ? st.buffers[1].data<T>() : nullptr;
    T* ga = o.centered ? st.buffers[use_mom ? 2 : 1].data<T>() : nullptr;
    rmsprop_update<T>(param.data<T>(), grad.data<T>(), sq, ga, buf, param.numel(), o);
  });
}

}  // namespace physcnn::optim

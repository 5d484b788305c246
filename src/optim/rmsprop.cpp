// RMSprop: option checks and the fused per-parameter update.
#include "optim/rmsprop.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "optim/sqrt_block.hpp"

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

// Reference: p, grad, sq, ga, buf (n); ga is used when centered, buf with momentum > 0. The
// operation order follows PyTorch's in-place op sequence so float32 rounds the same way.
template <class T, bool kCentered, bool kMomentum>
void rmsprop_update_reference(T* p, const T* grad, T* sq, T* ga, T* buf, int64_t n,
                              const RmspropOptions& o) {
  const T lr = static_cast<T>(-o.lr), wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha), one_minus_alpha = static_cast<T>(1.0 - o.alpha);
  const T eps = static_cast<T>(o.eps), mom = static_cast<T>(o.momentum);
  const bool use_wd = o.weight_decay != 0.0, maximize = o.maximize;
  parallel_for(0, n, kUpdateGrain, [=](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      T d = maximize ? -grad[j] : grad[j];
      const T pj = p[j];
      if (use_wd) d = d + wd * pj;
      const T sqj = sq[j] * alpha + one_minus_alpha * d * d;
      sq[j] = sqj;
      T avg;
      if constexpr (kCentered) {
        const T gaj = ga[j] * alpha + one_minus_alpha * d;
        ga[j] = gaj;
        avg = std::sqrt(sqj - gaj * gaj);
      } else {
        avg = std::sqrt(sqj);
      }
      avg = avg + eps;
      if constexpr (kMomentum) {
        const T bj = buf[j] * mom + d / avg;
        buf[j] = bj;
        p[j] = pj + lr * bj;
      } else {
        p[j] = pj + lr * (d / avg);
      }
    }
  });
}

// Fast (float32): the same operations in blocks — averages in one vectorized pass, the square
// roots in sqrt_block, momentum and parameter in a third pass (recomputing d, which is cheaper
// than storing it) — so it equals the reference bit for bit.
template <bool kCentered, bool kMomentum>
void rmsprop_update_fast(float* p, const float* grad, float* sq, float* ga, float* buf, int64_t n,
                         const RmspropOptions& o) {
  using T = float;
  const T lr = static_cast<T>(-o.lr), wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha), one_minus_alpha = static_cast<T>(1.0 - o.alpha);
  const T eps = static_cast<T>(o.eps), mom = static_cast<T>(o.momentum);
  const bool use_wd = o.weight_decay != 0.0, maximize = o.maximize;
  parallel_for(0, n, kUpdateGrain, [=](int64_t lo, int64_t hi) {
    alignas(64) T root[detail::kSqrtBlock];
    for (int64_t b0 = lo; b0 < hi; b0 += detail::kSqrtBlock) {
      const int64_t len = std::min(detail::kSqrtBlock, hi - b0);
      T* pb = p + b0;
      T* sqb = sq + b0;
      const T* gb = grad + b0;
      for (int64_t j = 0; j < len; ++j) {
        T d = maximize ? -gb[j] : gb[j];
        if (use_wd) d = d + wd * pb[j];
        const T sqj = sqb[j] * alpha + one_minus_alpha * d * d;
        sqb[j] = sqj;
        if constexpr (kCentered) {
          const T gaj = ga[b0 + j] * alpha + one_minus_alpha * d;
          ga[b0 + j] = gaj;
          root[j] = sqj - gaj * gaj;
        } else {
          root[j] = sqj;
        }
      }
      detail::sqrt_block(root, len);
      for (int64_t j = 0; j < len; ++j) {
        T d = maximize ? -gb[j] : gb[j];
        const T pj = pb[j];
        if (use_wd) d = d + wd * pj;
        const T avg = root[j] + eps;
        if constexpr (kMomentum) {
          const T bj = buf[b0 + j] * mom + d / avg;
          buf[b0 + j] = bj;
          pb[j] = pj + lr * bj;
        } else {
          pb[j] = pj + lr * (d / avg);
        }
      }
    }
  });
}

template <class T, bool kCentered, bool kMomentum>
void rmsprop_update(T* p, const T* grad, T* sq, T* ga, T* buf, int64_t n, const RmspropOptions& o) {
  if constexpr (std::is_same_v<T, float>) {
    if (kernels::use_fast<T>())
      return rmsprop_update_fast<kCentered, kMomentum>(p, grad, sq, ga, buf, n, o);
  }
  rmsprop_update_reference<T, kCentered, kMomentum>(p, grad, sq, ga, buf, n, o);
}

template <class T>
void rmsprop_dispatch(T* p, const T* grad, T* sq, T* ga, T* buf, int64_t n,
                      const RmspropOptions& o) {
  if (ga) {
    buf ? rmsprop_update<T, true, true>(p, grad, sq, ga, buf, n, o)
        : rmsprop_update<T, true, false>(p, grad, sq, ga, buf, n, o);
  } else {
    buf ? rmsprop_update<T, false, true>(p, grad, sq, ga, buf, n, o)
        : rmsprop_update<T, false, false>(p, grad, sq, ga, buf, n, o);
  }
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

void Rmsprop::update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) {
  RmspropOptions o = options_;
  o.lr = lr();
  const bool use_mom = o.momentum > 0.0;
  PHYSCNN_DISPATCH(param.dtype(), T, {
    T* sq = st.buffers[0].data<T>() + lo;
    T* buf = use_mom ? st.buffers[1].data<T>() + lo : nullptr;
    T* ga = o.centered ? st.buffers[use_mom ? 2 : 1].data<T>() + lo : nullptr;
    rmsprop_dispatch<T>(param.data<T>() + lo, grad.data<T>() + lo, sq, ga, buf, hi - lo, o);
  });
}

}  // namespace physcnn::optim

// Softmax and log-softmax along one dimension of a contiguous tensor viewed as (outer, D, inner),
// forward and backward. One implementation for float and double, threaded over rows.
#pragma once

#include <cstdint>

namespace physcnn::kernels {

// x (outer, D, inner), y (outer, D, inner): y = softmax(x) along D, or log_softmax when `log`.
// Numerically stable: the maximum along D is subtracted before exponentiating.
template <class T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t D, int64_t inner, bool log);

// y is the forward output, gy its gradient, gx (outer, D, inner) is overwritten:
//   softmax:     gx = y * (gy - sum_D(gy * y))
//   log_softmax: gx = gy - exp(y) * sum_D(gy)
template <class T>
void softmax_backward(const T* y, const T* gy, T* gx, int64_t outer, int64_t D, int64_t inner,
                      bool log);

}  // namespace physcnn::kernels

// Batch normalisation kernels on a contiguous tensor viewed as (N, C, S), S = L or H*W (1 for
// (N,C)). One implementation for float and double, threaded over channels: each channel is two
// passes over its N*S values (statistics, then output), with double accumulators.
#pragma once

#include <cstdint>

namespace physcnn::kernels {

struct BatchNormDims {
  int64_t N = 0, C = 0, S = 1;
};

// x (N,C,S), weight (C) or null, bias (C) or null -> y (N,C,S). Training statistics: batch
// mean and biased variance; writes mean (C) and invstd (C) = 1/sqrt(var + eps) for backward and
// the unbiased variance var_unbiased (C) for the running-statistics update.
// relu: y = max(0, normalised) in the same pass (the fused batch_norm_relu op).
template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* mean,
                              double* invstd, double* var_unbiased, BatchNormDims d, double eps,
                              bool relu = false);

// Evaluation: y = (x - mean) * invstd * weight + bias with the given per-channel statistics.
template <class T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, T* y, const double* mean,
                             const double* invstd, BatchNormDims d, bool relu = false);

// gy, x (N,C,S); mean, invstd (C) as used by the forward. Any of gx (N,C,S), gweight (C),
// gbias (C) may be null; they are overwritten; gx may equal gy (in place). With
// xhat = (x - mean) * invstd and M = N*S:
//   training:   gx = weight * invstd / M * (M * gy - sum(gy) - xhat * sum(gy * xhat))
//   evaluation: gx = weight * invstd * gy   (the statistics are constants)
//   gweight = sum(gy * xhat), gbias = sum(gy), sums over N and S.
// relu_y (N,C,S) or null: the output of the fused batch_norm_relu; gy is then the gradient of
// that output and is masked by relu_y > 0 on the fly (no separate ReLU backward pass).
template <class T>
void batch_norm_backward(const T* gy, const T* x, const T* weight, const double* mean,
                         const double* invstd, T* gx, T* gweight, T* gbias, BatchNormDims d,
                         bool training, const T* relu_y = nullptr);

}  // namespace physcnn::kernels

// Batch normalisation kernels (see norm.hpp for the formulas). Channels are independent, so
// parallel_for splits them across threads; within a channel the loops run over contiguous rows
// of length S, one per sample.
#include "kernels/norm.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/parallel.hpp"
#include "kernels/backend.hpp"

// Two builds of the same loops (norm_loops.inc): generic x86-64 and AVX2, chosen at run time.
#define PHYSCNN_NORM_ISA generic
#include "kernels/norm_loops.inc"
#undef PHYSCNN_NORM_ISA
#pragma GCC push_options
#pragma GCC target("avx2")
#define PHYSCNN_NORM_ISA avx2
#include "kernels/norm_loops.inc"
#undef PHYSCNN_NORM_ISA
#pragma GCC pop_options

namespace physcnn::kernels {

namespace {
bool use_avx2() {
  return fast_paths().avx2 && cpu_has_avx2_fma();
}
}  // namespace

// W2, 1 thread, in-step profile, three alternating rounds: the two BatchNorm2d layers, forward
// and backward, 2.25-2.49 ms generic -> 1.73-1.91 ms AVX2 of a ~16 ms step.
template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* mean,
                              double* invstd, double* var_unbiased, BatchNormDims d, double eps,
                              bool relu) {
  if (use_avx2())
    avx2::forward_train(x, weight, bias, y, mean, invstd, var_unbiased, d, eps, relu);
  else
    generic::forward_train(x, weight, bias, y, mean, invstd, var_unbiased, d, eps, relu);
}

template <class T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, T* y, const double* mean,
                             const double* invstd, BatchNormDims d, bool relu) {
  if (use_avx2())
    avx2::forward_eval(x, weight, bias, y, mean, invstd, d, relu);
  else
    generic::forward_eval(x, weight, bias, y, mean, invstd, d, relu);
}

template <class T>
void batch_norm_backward(const T* gy, const T* x, const T* weight, const double* mean,
                         const double* invstd, T* gx, T* gweight, T* gbias, BatchNormDims d,
                         bool training, const T* relu_y) {
  if (use_avx2())
    avx2::backward(gy, x, weight, mean, invstd, gx, gweight, gbias, d, training, relu_y);
  else
    generic::backward(gy, x, weight, mean, invstd, gx, gweight, gbias, d, training, relu_y);
}

#define PHYSCNN_INSTANTIATE(T)                                                                     \
  template void batch_norm_forward_train<T>(const T*, const T*, const T*, T*, double*, double*,    \
                                            double*, BatchNormDims, double, bool);                 \
  template void batch_norm_forward_eval<T>(const T*, const T*, const T*, T*, const double*,        \
                                           const double*, BatchNormDims, bool);                    \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const double*, const double*, \
                                       T*, T*, T*, BatchNormDims, bool, const T*);
PHYSCNN_INSTANTIATE(float)
PHYSCNN_INSTANTIATE(double)
#undef PHYSCNN_INSTANTIATE

}  // namespace physcnn::kernels

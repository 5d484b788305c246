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

namespace physcnn::kernels {

namespace {
// At least ~32k values per thread before splitting channels across threads.
int64_t channel_grain(const BatchNormDims& d) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, d.N * d.S));
}

// out = row * a + b, clamped at 0 when relu (NaN stays NaN, as relu's !(v <= 0) ? v : 0).
template <class T>
void affine_row(const T* row, T* out, int64_t S, T a, T b, bool relu) {
  if (relu) {
#pragma omp simd
    for (int64_t s = 0; s < S; ++s) {
      const T v = row[s] * a + b;
      out[s] = !(v <= T(0)) ? v : T(0);
    }
  } else {
#pragma omp simd
    for (int64_t s = 0; s < S; ++s) out[s] = row[s] * a + b;
  }
}

// g where the ReLU output y is positive, else +0, as a bitwise AND with a compare mask. Written
// as `y > 0 ? g : 0`, GCC 12 turned the select into a branch (the masked sum then skips the
// adds), so the loop stayed scalar and mispredicted on random signs: the fused BatchNorm ->
// ReLU backward made W2 training 20-30 % slower than unfused (bench/NOTES.md "speed2").
template <class T>
inline T masked(T y, T g) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const U keep = U(0) - U(y > T(0));  // all ones or all zeros
  return std::bit_cast<T>(std::bit_cast<U>(g) & keep);
}
}  // namespace

template <class T>
void batch_norm_forward_train(const T* x, const T* weight, const T* bias, T* y, double* mean,
                              double* invstd, double* var_unbiased, BatchNormDims d, double eps,
                              bool relu) {
  const int64_t M = d.N * d.S, CS = d.C * d.S;
  parallel_for(0, d.C, channel_grain(d), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      // Sums shifted by the channel's first value keep the one-pass variance accurate when the
      // mean is large compared with the spread (the textbook "shifted data" algorithm).
      const double shift = M > 0 ? double(x[c * d.S]) : 0.0;
      double s1 = 0, s2 = 0;
      for (int64_t n = 0; n < d.N; ++n) {
        const T* row = x + n * CS + c * d.S;
#pragma omp simd reduction(+ : s1, s2)
        for (int64_t s = 0; s < d.S; ++s) {
          const double v = double(row[s]) - shift;
          s1 += v;
          s2 += v * v;
        }
      }
      const double m1 = s1 / double(M);
      const double var = std::max(0.0, s2 / double(M) - m1 * m1);
      mean[c] = shift + m1;
      invstd[c] = 1.0 / std::sqrt(var + eps);
      var_unbiased[c] = M > 1 ? var * double(M) / double(M - 1) : var;
      // The statistics are double; the affine write runs in T (float: twice the vector lanes
      // of a double pass, and one rounding of a, b, x*a+b each, well inside float parity).
      const T a = T(invstd[c] * (weight ? double(weight[c]) : 1.0));
      const T b = T((bias ? double(bias[c]) : 0.0) -
                    mean[c] * invstd[c] * (weight ? double(weight[c]) : 1.0));
      for (int64_t n = 0; n < d.N; ++n) {
        const T* row = x + n * CS + c * d.S;
        T* out = y + n * CS + c * d.S;
        affine_row(row, out, d.S, a, b, relu);
      }
    }
  });
}

template <class T>
void batch_norm_forward_eval(const T* x, const T* weight, const T* bias, T* y, const double* mean,
                             const double* invstd, BatchNormDims d, bool relu) {
  const int64_t CS = d.C * d.S;
  parallel_for(0, d.C, channel_grain(d), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      // y = x * a + b folds the four per-channel constants into two.
      const T a = T(invstd[c] * (weight ? double(weight[c]) : 1.0));
      const T b = T((bias ? double(bias[c]) : 0.0) - mean[c] * double(a));
      for (int64_t n = 0; n < d.N; ++n) {
        const T* row = x + n * CS + c * d.S;
        T* out = y + n * CS + c * d.S;
        affine_row(row, out, d.S, a, b, relu);
      }
    }
  });
}

template <class T>
void batch_norm_backward(const T* gy, const T* x, const T* weight, const double* mean,
                         const double* invstd, T* gx, T* gweight, T* gbias, BatchNormDims d,
                         bool training, const T* relu_y) {
  const int64_t M = d.N * d.S, CS = d.C * d.S;
  parallel_for(0, d.C, channel_grain(d), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double mu = mean[c], is = invstd[c];
      double sum_gy = 0, sum_gy_xmu = 0;  // sum(gy), sum(gy * (x - mean))
      for (int64_t n = 0; n < d.N; ++n) {
        const T* g = gy + n * CS + c * d.S;
        const T* xr = x + n * CS + c * d.S;
        if (relu_y) {
          const T* yr = relu_y + n * CS + c * d.S;
#pragma omp simd reduction(+ : sum_gy, sum_gy_xmu)
          for (int64_t s = 0; s < d.S; ++s) {
            const double gm = double(masked(yr[s], g[s]));
            sum_gy += gm;
            sum_gy_xmu += gm * (double(xr[s]) - mu);
          }
        } else {
#pragma omp simd reduction(+ : sum_gy, sum_gy_xmu)
          for (int64_t s = 0; s < d.S; ++s) {
            sum_gy += double(g[s]);
            sum_gy_xmu += double(g[s]) * (double(xr[s]) - mu);
          }
        }
      }
      if (gweight) gweight[c] = T(sum_gy_xmu * is);
      if (gbias) gbias[c] = T(sum_gy);
      if (!gx) continue;
      const double w = weight ? double(weight[c]) : 1.0;
      // gx = k * gy + kx * (x - mean) + k0, expanded from the closed form in norm.hpp.
      const double k = w * is;
      const double kx = training && M > 0 ? -w * is * is * is * sum_gy_xmu / double(M) : 0.0;
      const double k0 = training && M > 0 ? -w * is * sum_gy / double(M) : 0.0;
      // gx = k * gy + kx * x + (k0 - kx * mean), in T like the forward's write. gx may be gy
      // itself (the op reuses the output gradient's buffer): each element is read, then written.
      const T kt = T(k), kxt = T(kx), k0t = T(k0 - kx * mu);
      for (int64_t n = 0; n < d.N; ++n) {
        const T* g = gy + n * CS + c * d.S;
        const T* xr = x + n * CS + c * d.S;
        T* out = gx + n * CS + c * d.S;
        if (relu_y) {
          const T* yr = relu_y + n * CS + c * d.S;
#pragma omp simd
          for (int64_t s = 0; s < d.S; ++s) {
            out[s] = kt * masked(yr[s], g[s]) + kxt * xr[s] + k0t;
          }
        } else {
#pragma omp simd
          for (int64_t s = 0; s < d.S; ++s) out[s] = kt * g[s] + kxt * xr[s] + k0t;
        }
      }
    }
  });
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

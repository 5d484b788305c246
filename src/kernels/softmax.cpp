// Softmax kernels. Work is split into tiles of (one outer index, up to kTile inner positions)
// so that every pass walks memory contiguously along `inner` and per-position accumulators
// (max, sum) live in a small stack buffer; with inner == 1 a tile is one row of length D.
#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.hpp"

namespace physcnn::kernels {

namespace {
constexpr int64_t kTile = 256;

// Calls f(o, i0, i1) for every tile, in parallel over tiles.
template <class F>
void for_each_tile(int64_t outer, int64_t D, int64_t inner, F&& f) {
  const int64_t tiles_per_outer = (inner + kTile - 1) / kTile;
  const int64_t tiles = outer * tiles_per_outer;
  const int64_t work = std::max<int64_t>(1, D * std::min(inner, kTile));
  parallel_for(0, tiles, std::max<int64_t>(1, 16384 / work), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / tiles_per_outer, i0 = (t % tiles_per_outer) * kTile;
      f(o, i0, std::min(inner, i0 + kTile));
    }
  });
}
}  // namespace

template <class T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t D, int64_t inner, bool log) {
  for_each_tile(outer, D, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    double mx[kTile], sum[kTile];
    const int64_t w = i1 - i0;
    const T* xo = x + o * D * inner + i0;
    T* yo = y + o * D * inner + i0;
    for (int64_t i = 0; i < w; ++i) {
      mx[i] = -std::numeric_limits<double>::infinity();
      sum[i] = 0;
    }
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < w; ++i) mx[i] = std::max(mx[i], double(xo[d * inner + i]));
    // A row that is all -inf has no finite maximum; shifting by 0 then gives NaN, as PyTorch.
    for (int64_t i = 0; i < w; ++i)
      if (std::isinf(mx[i]) && mx[i] < 0) mx[i] = 0;
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < w; ++i) {
        // exp in T (expf for float: a few times faster than exp, under 1 ulp), sums in double
        const T e = std::exp(T(double(xo[d * inner + i]) - mx[i]));
        sum[i] += double(e);
        if (!log) yo[d * inner + i] = e;
      }
    if (log) {
      for (int64_t i = 0; i < w; ++i) sum[i] = mx[i] + std::log(sum[i]);  // log-sum-exp
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < w; ++i) yo[d * inner + i] = T(double(xo[d * inner + i]) - sum[i]);
    } else {
      for (int64_t i = 0; i < w; ++i) sum[i] = 1.0 / sum[i];
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < w; ++i) yo[d * inner + i] = T(yo[d * inner + i] * sum[i]);
    }
  });
}

template <class T>
void softmax_backward(const T* y, const T* gy, T* gx, int64_t outer, int64_t D, int64_t inner,
                      bool log) {
  for_each_tile(outer, D, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    double acc[kTile];
    const int64_t w = i1 - i0, base = o * D * inner + i0;
    const T *yo = y + base, *go = gy + base;
    T* xo = gx + base;
    for (int64_t i = 0; i < w; ++i) acc[i] = 0;
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < w; ++i) {
        const int64_t k = d * inner + i;
        acc[i] += log ? double(go[k]) : double(go[k]) * double(yo[k]);
      }
    for (int64_t d = 0; d < D; ++d)
      for (int64_t i = 0; i < w; ++i) {
        const int64_t k = d * inner + i;
        xo[k] = log ? T(double(go[k]) - double(std::exp(yo[k])) * acc[i])
                    : T(double(yo[k]) * (double(go[k]) - acc[i]));
      }
  });
}

template void softmax_forward<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_forward<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, int64_t,
                                      bool);
template void softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t,
                                       int64_t, bool);

}  // namespace physcnn::kernels

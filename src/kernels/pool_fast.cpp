// Fast float pooling: the reference loops threaded over the N*C planes with window bounds
// hoisted, plus a branch-free path for the common 2x2 stride-2 unpadded window (every MaxPool2
// in the benchmark workloads), with explicit AVX2 versions of its max pooling chosen at run
// time. Results equal the reference bit for bit: same summation order, same "first maximum
// wins, NaN wins" comparisons.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "kernels/pool.hpp"

namespace physcnn::kernels {

namespace {
// Planes per parallel chunk: enough work (~16k elements) per thread to pay for the fork.
int64_t plane_grain(const Pool2dDesc& d) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d.IH * d.IW));
}

bool is_2x2_stride_2(const Pool2dDesc& d) {
  return d.KH == 2 && d.KW == 2 && d.SH == 2 && d.SW == 2 && d.PH == 0 && d.PW == 0 && d.DH == 1 &&
         d.DW == 1 && 2 * d.OH <= d.IH && 2 * d.OW <= d.IW;
}

// One plane of 2x2/2 max pooling. The comparisons mirror the reference's order (v0, v1, v2, v3)
// so that ties and NaNs pick the same element.
template <bool kArgmax>
void max_plane_2x2(const Pool2dDesc& d, const float* x, float* y, int32_t* a) {
  for (int64_t oh = 0; oh < d.OH; ++oh) {
    const float* r0 = x + 2 * oh * d.IW;
    const float* r1 = r0 + d.IW;
    float* yr = y + oh * d.OW;
    const int32_t base = static_cast<int32_t>(2 * oh * d.IW);
    const int32_t iw = static_cast<int32_t>(d.IW);
    for (int64_t ow = 0; ow < d.OW; ++ow) {
      const float v0 = r0[2 * ow], v1 = r0[2 * ow + 1], v2 = r1[2 * ow], v3 = r1[2 * ow + 1];
      float m = v0;
      int32_t k = base + static_cast<int32_t>(2 * ow);
      bool t = v1 > m || v1 != v1;
      m = t ? v1 : m;
      if constexpr (kArgmax) k = t ? base + static_cast<int32_t>(2 * ow + 1) : k;
      t = v2 > m || v2 != v2;
      m = t ? v2 : m;
      if constexpr (kArgmax) k = t ? base + iw + static_cast<int32_t>(2 * ow) : k;
      t = v3 > m || v3 != v3;
      m = t ? v3 : m;
      if constexpr (kArgmax) k = t ? base + iw + static_cast<int32_t>(2 * ow + 1) : k;
      yr[ow] = m;
      if constexpr (kArgmax) a[oh * d.OW + ow] = k;
    }
  }
}

// 8 windows of 2x2/2 max pooling with AVX2: rows r0 and r1 from column 0 (16 columns each),
// window w's first input index k0 + 2 w; y and a (argmax, if kArgmax) get 8 outputs. Even and
// odd columns come from one shuffle per row (lane order 0 1 4 5 2 3 6 7, put back in order by
// one permute before the stores); the comparisons are the scalar ones, lane by lane (greater,
// or NaN), so values and indices are the same bit for bit.
template <bool kArgmax>
__attribute__((target("avx2,fma"), always_inline)) inline void max_8_windows(const float* r0,
                                                                             const float* r1,
                                                                             int32_t k0, int32_t iw,
                                                                             float* y, int32_t* a) {
  const __m256 a0 = _mm256_loadu_ps(r0), b0 = _mm256_loadu_ps(r0 + 8);
  const __m256 a1 = _mm256_loadu_ps(r1), b1 = _mm256_loadu_ps(r1 + 8);
  const __m256 v[4] = {_mm256_shuffle_ps(a0, b0, 0x88), _mm256_shuffle_ps(a0, b0, 0xDD),
                       _mm256_shuffle_ps(a1, b1, 0x88), _mm256_shuffle_ps(a1, b1, 0xDD)};
  // Input index of each lane's window, in the shuffled lane order.
  const __m256i first =
      _mm256_add_epi32(_mm256_set1_epi32(k0), _mm256_setr_epi32(0, 2, 8, 10, 4, 6, 12, 14));
  const int32_t offsets[4] = {0, 1, iw, iw + 1};
  __m256 m = v[0];
  __m256 k = _mm256_castsi256_ps(first);
  for (int i = 1; i < 4; ++i) {
    const __m256 t =
        _mm256_or_ps(_mm256_cmp_ps(v[i], m, _CMP_GT_OQ), _mm256_cmp_ps(v[i], v[i], _CMP_UNORD_Q));
    m = _mm256_blendv_ps(m, v[i], t);
    if constexpr (kArgmax)
      k = _mm256_blendv_ps(
          k, _mm256_castsi256_ps(_mm256_add_epi32(first, _mm256_set1_epi32(offsets[i]))), t);
  }
  _mm256_storeu_ps(y, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), 0xD8)));
  if constexpr (kArgmax)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(a),
                        _mm256_castpd_si256(_mm256_permute4x64_pd(_mm256_castps_pd(k), 0xD8)));
}

// One 2x2/2 plane with AVX2. A row's last 1-7 windows go through copies of their input columns
// (the plane may end there) and of their outputs, so no row has a branchy scalar tail: W2's
// 14x14 -> 7x7 layer has nothing but tails.
template <bool kArgmax>
__attribute__((target("avx2,fma"))) void max_plane_2x2_avx2(const Pool2dDesc& d, const float* x,
                                                            float* y, int32_t* a) {
  const auto iw = static_cast<int32_t>(d.IW);
  const int64_t vec_end = d.OW / 8 * 8, rest = d.OW - vec_end;
  for (int64_t oh = 0; oh < d.OH; ++oh) {
    const float* r0 = x + 2 * oh * d.IW;
    const float* r1 = r0 + d.IW;
    float* yr = y + oh * d.OW;
    int32_t* ar = kArgmax ? a + oh * d.OW : nullptr;
    const auto base = static_cast<int32_t>(2 * oh * d.IW);
    for (int64_t ow = 0; ow < vec_end; ow += 8)
      max_8_windows<kArgmax>(r0 + 2 * ow, r1 + 2 * ow, base + static_cast<int32_t>(2 * ow), iw,
                             yr + ow, kArgmax ? ar + ow : nullptr);
    if (rest == 0) continue;
    alignas(32) float c0[16] = {}, c1[16] = {}, ys[8];
    alignas(32) int32_t as[8];
    std::memcpy(c0, r0 + 2 * vec_end, size_t(2 * rest) * sizeof(float));
    std::memcpy(c1, r1 + 2 * vec_end, size_t(2 * rest) * sizeof(float));
    max_8_windows<kArgmax>(c0, c1, base + static_cast<int32_t>(2 * vec_end), iw, ys, as);
    std::memcpy(yr + vec_end, ys, size_t(rest) * sizeof(float));
    if constexpr (kArgmax) std::memcpy(ar + vec_end, as, size_t(rest) * sizeof(int32_t));
  }
}

// Backward of one 2x2/2 plane with AVX2: each input element of a window gains the output's
// gradient where the argmax points at it (blend of old and old + g: untouched elements keep
// their bits, -0 included), 8 windows per step; the scalar scatter for the row's tail.
__attribute__((target("avx2,fma"))) void max_plane_2x2_backward_avx2(const Pool2dDesc& d,
                                                                     const float* g,
                                                                     const int32_t* a, float* gx) {
  const int32_t iw = static_cast<int32_t>(d.IW);
  const __m256i lane_col = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const int64_t vec_end = d.OW / 8 * 8;
  for (int64_t oh = 0; oh < d.OH; ++oh) {
    float* r[2] = {gx + 2 * oh * d.IW, gx + (2 * oh + 1) * d.IW};
    const int32_t base = static_cast<int32_t>(2 * oh * d.IW);
    for (int64_t ow = 0; ow < vec_end; ow += 8) {
      const __m256 gv = _mm256_loadu_ps(g + oh * d.OW + ow);
      const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + oh * d.OW + ow));
      const __m256i k0 =
          _mm256_add_epi32(_mm256_set1_epi32(base + static_cast<int32_t>(2 * ow)), lane_col);
      for (int row = 0; row < 2; ++row) {
        const __m256i kr = _mm256_add_epi32(k0, _mm256_set1_epi32(row * iw));
        const __m256 even = _mm256_castsi256_ps(_mm256_cmpeq_epi32(av, kr));
        const __m256 odd =
            _mm256_castsi256_ps(_mm256_cmpeq_epi32(av, _mm256_add_epi32(kr, _mm256_set1_epi32(1))));
        // Masks and gradients interleaved back to input column order (2 ow .. 2 ow + 15).
        const __m256 mlo = _mm256_unpacklo_ps(even, odd), mhi = _mm256_unpackhi_ps(even, odd);
        const __m256 glo = _mm256_unpacklo_ps(gv, gv), ghi = _mm256_unpackhi_ps(gv, gv);
        const __m256 mask[2] = {_mm256_permute2f128_ps(mlo, mhi, 0x20),
                                _mm256_permute2f128_ps(mlo, mhi, 0x31)};
        const __m256 grad[2] = {_mm256_permute2f128_ps(glo, ghi, 0x20),
                                _mm256_permute2f128_ps(glo, ghi, 0x31)};
        for (int h = 0; h < 2; ++h) {
          float* p = r[row] + 2 * ow + 8 * h;
          const __m256 old = _mm256_loadu_ps(p);
          _mm256_storeu_ps(p, _mm256_blendv_ps(old, _mm256_add_ps(old, grad[h]), mask[h]));
        }
      }
    }
    for (int64_t ow = vec_end; ow < d.OW; ++ow) gx[a[oh * d.OW + ow]] += g[oh * d.OW + ow];
  }
}

bool use_avx2() {
  return fast_paths().avx2 && cpu_has_avx2_fma();
}

// One plane of general max pooling (any kernel, stride, padding, dilation, ceil mode).
void max_plane_general(const Pool2dDesc& d, const float* x, float* y, int32_t* a) {
  for (int64_t oh = 0; oh < d.OH; ++oh) {
    const detail::Span h = detail::max_window(oh, d.IH, d.KH, d.SH, d.PH, d.DH);
    for (int64_t ow = 0; ow < d.OW; ++ow) {
      const detail::Span w = detail::max_window(ow, d.IW, d.KW, d.SW, d.PW, d.DW);
      int64_t best_index = h.lo * d.IW + w.lo;
      float best = -std::numeric_limits<float>::infinity();
      for (int64_t ih = h.lo; ih < h.hi; ih += d.DH) {
        const float* row = x + ih * d.IW;
        for (int64_t iw = w.lo; iw < w.hi; iw += d.DW) {
          const float v = row[iw];
          if (v > best || std::isnan(v)) {
            best = v;
            best_index = ih * d.IW + iw;
          }
        }
      }
      y[oh * d.OW + ow] = best;
      if (a) a[oh * d.OW + ow] = static_cast<int32_t>(best_index);
    }
  }
}
}  // namespace

// in (N,C,IH,IW) -> out (N,C,OH,OW), argmax (N,C,OH,OW) or nullptr
void max_pool2d_forward_fast(const Pool2dDesc& d, const float* in, float* out, int32_t* argmax) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  const bool fast2 = is_2x2_stride_2(d), avx2 = fast2 && use_avx2();
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* x = in + p * in_plane;
      float* y = out + p * out_plane;
      int32_t* a = argmax ? argmax + p * out_plane : nullptr;
      if (avx2 && a)
        max_plane_2x2_avx2<true>(d, x, y, a);
      else if (avx2)
        max_plane_2x2_avx2<false>(d, x, y, nullptr);
      else if (fast2 && a)
        max_plane_2x2<true>(d, x, y, a);
      else if (fast2)
        max_plane_2x2<false>(d, x, y, nullptr);
      else
        max_plane_general(d, x, y, a);
    }
  });
}

// grad_out (N,C,OH,OW), argmax (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=; argmax stays inside its
// plane, so planes are independent and threads never write the same element.
void max_pool2d_backward_fast(const Pool2dDesc& d, const float* grad_out, const int32_t* argmax,
                              float* grad_in) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  // The vector path needs argmax inside each window, which the forward of the same 2x2/2 geometry
  // guarantees; an index elsewhere in the plane would be dropped, so other geometries scatter.
  const bool fast2 = is_2x2_stride_2(d) && use_avx2();
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* g = grad_out + p * out_plane;
      const int32_t* a = argmax + p * out_plane;
      float* gx = grad_in + p * in_plane;
      if (fast2) {
        max_plane_2x2_backward_avx2(d, g, a, gx);
        continue;
      }
      for (int64_t o = 0; o < out_plane; ++o) gx[a[o]] += g[o];
    }
  });
}

namespace {
// One window covering each whole, unpadded plane (global average pooling, W3's head).
bool is_whole_plane(const Pool2dDesc& d) {
  return d.OH == 1 && d.OW == 1 && d.KH == d.IH && d.KW == d.IW && d.PH == 0 && d.PW == 0;
}

// Means of planes [lo, hi), kPlanes at a time: each plane's sum is one serial chain in the
// reference's order (bit-identical), but kPlanes independent chains run side by side instead of
// one float add every 4 cycles, the latency-bound loop that was 6 % of W3's step (perf).
void whole_plane_means(const float* in, float* out, int64_t lo, int64_t hi, int64_t plane) {
  constexpr int64_t kPlanes = 8;
  const float divisor = float(plane);
  int64_t p = lo;
  for (; p + kPlanes <= hi; p += kPlanes) {
    float acc[kPlanes] = {};
    const float* x = in + p * plane;
    for (int64_t i = 0; i < plane; ++i)
      for (int64_t j = 0; j < kPlanes; ++j) acc[j] += x[j * plane + i];
    for (int64_t j = 0; j < kPlanes; ++j) out[p + j] = acc[j] / divisor;
  }
  for (; p < hi; ++p) {
    float sum = 0.0f;
    const float* x = in + p * plane;
    for (int64_t i = 0; i < plane; ++i) sum += x[i];
    out[p] = sum / divisor;
  }
}
}  // namespace

// in (N,C,IH,IW) -> out (N,C,OH,OW)
void avg_pool2d_forward_fast(const Pool2dDesc& d, const float* in, float* out) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  const bool fast2 = is_2x2_stride_2(d);
  if (is_whole_plane(d)) {
    parallel_for(0, d.N * d.C, plane_grain(d),
                 [&](int64_t lo, int64_t hi) { whole_plane_means(in, out, lo, hi, in_plane); });
    return;
  }
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* x = in + p * in_plane;
      float* y = out + p * out_plane;
      if (fast2) {
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const float* r0 = x + 2 * oh * d.IW;
          const float* r1 = r0 + d.IW;
          for (int64_t ow = 0; ow < d.OW; ++ow)
            y[oh * d.OW + ow] =
                (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) / 4.0f;
        }
        continue;
      }
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        const detail::AvgSpan h = detail::avg_window(oh, d.IH, d.KH, d.SH, d.PH);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          const detail::AvgSpan w = detail::avg_window(ow, d.IW, d.KW, d.SW, d.PW);
          if (h.lo >= h.hi || w.lo >= w.hi) {
            y[oh * d.OW + ow] = 0.0f;
            continue;
          }
          float sum = 0.0f;
          for (int64_t ih = h.lo; ih < h.hi; ++ih) {
            const float* row = x + ih * d.IW;
            for (int64_t iw = w.lo; iw < w.hi; ++iw) sum += row[iw];
          }
          const int64_t divisor =
              d.count_include_pad ? h.padded * w.padded : (h.hi - h.lo) * (w.hi - w.lo);
          y[oh * d.OW + ow] = sum / float(divisor);
        }
      }
    }
  });
}

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=
void avg_pool2d_backward_fast(const Pool2dDesc& d, const float* grad_out, float* grad_in) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  const bool fast2 = is_2x2_stride_2(d);
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* g = grad_out + p * out_plane;
      float* gx = grad_in + p * in_plane;
      if (fast2) {
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          float* r0 = gx + 2 * oh * d.IW;
          float* r1 = r0 + d.IW;
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            const float s = g[oh * d.OW + ow] / 4.0f;
            r0[2 * ow] += s;
            r0[2 * ow + 1] += s;
            r1[2 * ow] += s;
            r1[2 * ow + 1] += s;
          }
        }
        continue;
      }
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        const detail::AvgSpan h = detail::avg_window(oh, d.IH, d.KH, d.SH, d.PH);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          const detail::AvgSpan w = detail::avg_window(ow, d.IW, d.KW, d.SW, d.PW);
          if (h.lo >= h.hi || w.lo >= w.hi) continue;
          const int64_t divisor =
              d.count_include_pad ? h.padded * w.padded : (h.hi - h.lo) * (w.hi - w.lo);
          const float share = g[oh * d.OW + ow] / float(divisor);
          for (int64_t ih = h.lo; ih < h.hi; ++ih) {
            float* row = gx + ih * d.IW;
            for (int64_t iw = w.lo; iw < w.hi; ++iw) row[iw] += share;
          }
        }
      }
    }
  });
}

}  // namespace physcnn::kernels

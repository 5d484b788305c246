// Fast float pooling: the reference loops threaded over the N*C planes with window bounds
// hoisted, plus a branch-free path for the common 2x2 stride-2 unpadded window (every MaxPool2
// in the benchmark workloads) that the compiler can vectorise. Results equal the reference
// bit for bit: same summation order, same "first maximum wins, NaN wins" comparisons.
#include <cmath>
#include <limits>

#include "core/parallel.hpp"
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
  const bool fast2 = is_2x2_stride_2(d);
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* x = in + p * in_plane;
      float* y = out + p * out_plane;
      int32_t* a = argmax ? argmax + p * out_plane : nullptr;
      if (fast2 && a)
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
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const float* g = grad_out + p * out_plane;
      const int32_t* a = argmax + p * out_plane;
      float* gx = grad_in + p * in_plane;
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

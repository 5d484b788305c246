// Fast float upsampling: the per-axis source indices and weights are computed once into
// tables (the reference recomputes them per pixel), then planes are processed in parallel.
// Same arithmetic order as the reference, so results match it bit for bit.
#include <vector>

#include "core/parallel.hpp"
#include "kernels/upsample.hpp"

namespace physcnn::kernels {

namespace {
int64_t plane_grain(const UpsampleDesc& d) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d.OH * d.OW));
}

std::vector<int64_t> nearest_table(int64_t I, int64_t O, double scale) {
  std::vector<int64_t> t(static_cast<size_t>(O));
  for (int64_t o = 0; o < O; ++o) t[static_cast<size_t>(o)] = nearest_source_index(o, I, O, scale);
  return t;
}

std::vector<LinearTap<float>> linear_table(int64_t I, int64_t O, bool align_corners, double scale) {
  std::vector<LinearTap<float>> t(static_cast<size_t>(O));
  for (int64_t o = 0; o < O; ++o)
    t[static_cast<size_t>(o)] = linear_source_tap<float>(o, I, O, align_corners, scale);
  return t;
}
}  // namespace

// in (N,C,IH,IW) -> out (N,C,OH,OW)
void upsample2d_forward_fast(const UpsampleDesc& d, const float* in, float* out) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  if (d.filter == UpsampleFilter::Nearest) {
    const auto th = nearest_table(d.IH, d.OH, d.scale_h);
    const auto tw = nearest_table(d.IW, d.OW, d.scale_w);
    parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p)
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const float* row = in + p * in_plane + th[static_cast<size_t>(oh)] * d.IW;
          float* y = out + p * out_plane + oh * d.OW;
          for (int64_t ow = 0; ow < d.OW; ++ow) y[ow] = row[tw[static_cast<size_t>(ow)]];
        }
    });
    return;
  }
  const auto th = linear_table(d.IH, d.OH, d.align_corners, d.scale_h);
  const auto tw = linear_table(d.IW, d.OW, d.align_corners, d.scale_w);
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p)
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        const LinearTap<float>& h = th[static_cast<size_t>(oh)];
        const float* r0 = in + p * in_plane + h.i0 * d.IW;
        const float* r1 = in + p * in_plane + h.i1 * d.IW;
        float* y = out + p * out_plane + oh * d.OW;
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          const LinearTap<float>& w = tw[static_cast<size_t>(ow)];
          const float top = r0[w.i0] * w.w0 + r0[w.i1] * w.w1;
          const float bottom = r1[w.i0] * w.w0 + r1[w.i1] * w.w1;
          y[ow] = top * h.w0 + bottom * h.w1;
        }
      }
  });
}

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=; planes are independent, so threads never
// write the same element.
void upsample2d_backward_fast(const UpsampleDesc& d, const float* grad_out, float* grad_in) {
  const int64_t in_plane = d.IH * d.IW, out_plane = d.OH * d.OW;
  if (d.filter == UpsampleFilter::Nearest) {
    const auto th = nearest_table(d.IH, d.OH, d.scale_h);
    const auto tw = nearest_table(d.IW, d.OW, d.scale_w);
    parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p)
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          float* row = grad_in + p * in_plane + th[static_cast<size_t>(oh)] * d.IW;
          const float* g = grad_out + p * out_plane + oh * d.OW;
          for (int64_t ow = 0; ow < d.OW; ++ow) row[tw[static_cast<size_t>(ow)]] += g[ow];
        }
    });
    return;
  }
  const auto th = linear_table(d.IH, d.OH, d.align_corners, d.scale_h);
  const auto tw = linear_table(d.IW, d.OW, d.align_corners, d.scale_w);
  parallel_for(0, d.N * d.C, plane_grain(d), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p)
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        const LinearTap<float>& h = th[static_cast<size_t>(oh)];
        float* r0 = grad_in + p * in_plane + h.i0 * d.IW;
        float* r1 = grad_in + p * in_plane + h.i1 * d.IW;
        const float* g = grad_out + p * out_plane + oh * d.OW;
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          const LinearTap<float>& w = tw[static_cast<size_t>(ow)];
          const float t = g[ow];
          r0[w.i0] += t * h.w0 * w.w0;
          r0[w.i1] += t * h.w0 * w.w1;
          r1[w.i0] += t * h.w1 * w.w0;
          r1[w.i1] += t * h.w1 * w.w1;
        }
      }
  });
}

}  // namespace physcnn::kernels

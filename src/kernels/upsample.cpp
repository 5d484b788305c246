// Upsampling source-index rules (PyTorch 1.13's UpSample.h), the reference kernels written per
// output pixel, and the dispatchers choosing reference or fast.
#include "kernels/upsample.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "kernels/backend.hpp"

namespace physcnn::kernels {

void upsample2d_validate(const UpsampleDesc& d, std::string_view op) {
  PHYSCNN_CHECK_SHAPE(d.N > 0 && d.C > 0 && d.IH > 0 && d.IW > 0, op,
                      ": input has an empty dimension (input [", d.N, ",", d.C, ",", d.IH, ",",
                      d.IW, "])");
  PHYSCNN_CHECK_SHAPE(d.OH > 0 && d.OW > 0, op, ": output size ", d.OH, "x", d.OW,
                      " must be positive (input [", d.N, ",", d.C, ",", d.IH, ",", d.IW, "])");
}

namespace {
// PyTorch's compute_scales_value: 1/scale when the user gave a scale, else I/O.
template <class T>
T source_ratio(int64_t I, int64_t O, double scale) {
  return scale > 0.0 ? static_cast<T>(1.0 / scale) : static_cast<T>(I) / static_cast<T>(O);
}
}  // namespace

int64_t nearest_source_index(int64_t o, int64_t I, int64_t O, double scale) {
  if (O == I) return o;
  if (O == 2 * I) return o >> 1;
  const float ratio = source_ratio<float>(I, O, scale);  // float, as PyTorch's nearest_idx
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * ratio)), I - 1);
}

template <class T>
LinearTap<T> linear_source_tap(int64_t o, int64_t I, int64_t O, bool align_corners, double scale) {
  if (O == I) return {o, o, T(1), T(0)};
  T ratio;
  if (align_corners)
    ratio = O > 1 ? static_cast<T>(I - 1) / static_cast<T>(O - 1) : T(0);
  else
    ratio = source_ratio<T>(I, O, scale);
  T src = align_corners ? ratio * static_cast<T>(o) : ratio * (static_cast<T>(o) + T(0.5)) - T(0.5);
  if (!align_corners && src < T(0)) src = T(0);
  const int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), I - 1);
  const T w1 = std::min(std::max(src - static_cast<T>(i0), T(0)), T(1));
  return {i0, i0 < I - 1 ? i0 + 1 : i0, T(1) - w1, w1};
}

// in (N,C,IH,IW) -> out (N,C,OH,OW)
template <class T>
void upsample2d_forward_reference(const UpsampleDesc& d, const T* in, T* out) {
  for (int64_t p = 0; p < d.N * d.C; ++p) {
    const T* x = in + p * d.IH * d.IW;
    T* y = out + p * d.OH * d.OW;
    for (int64_t oh = 0; oh < d.OH; ++oh)
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        if (d.filter == UpsampleFilter::Nearest) {
          const int64_t ih = nearest_source_index(oh, d.IH, d.OH, d.scale_h);
          const int64_t iw = nearest_source_index(ow, d.IW, d.OW, d.scale_w);
          y[oh * d.OW + ow] = x[ih * d.IW + iw];
        } else {
          const auto h = linear_source_tap<T>(oh, d.IH, d.OH, d.align_corners, d.scale_h);
          const auto w = linear_source_tap<T>(ow, d.IW, d.OW, d.align_corners, d.scale_w);
          // Row-wise then column-wise, PyTorch's evaluation order.
          const T top = x[h.i0 * d.IW + w.i0] * w.w0 + x[h.i0 * d.IW + w.i1] * w.w1;
          const T bottom = x[h.i1 * d.IW + w.i0] * w.w0 + x[h.i1 * d.IW + w.i1] * w.w1;
          y[oh * d.OW + ow] = top * h.w0 + bottom * h.w1;
        }
      }
  }
}

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=
template <class T>
void upsample2d_backward_reference(const UpsampleDesc& d, const T* grad_out, T* grad_in) {
  for (int64_t p = 0; p < d.N * d.C; ++p) {
    T* gx = grad_in + p * d.IH * d.IW;
    const T* g = grad_out + p * d.OH * d.OW;
    for (int64_t oh = 0; oh < d.OH; ++oh)
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const T t = g[oh * d.OW + ow];
        if (d.filter == UpsampleFilter::Nearest) {
          const int64_t ih = nearest_source_index(oh, d.IH, d.OH, d.scale_h);
          const int64_t iw = nearest_source_index(ow, d.IW, d.OW, d.scale_w);
          gx[ih * d.IW + iw] += t;
        } else {
          const auto h = linear_source_tap<T>(oh, d.IH, d.OH, d.align_corners, d.scale_h);
          const auto w = linear_source_tap<T>(ow, d.IW, d.OW, d.align_corners, d.scale_w);
          gx[h.i0 * d.IW + w.i0] += t * h.w0 * w.w0;
          gx[h.i0 * d.IW + w.i1] += t * h.w0 * w.w1;
          gx[h.i1 * d.IW + w.i0] += t * h.w1 * w.w0;
          gx[h.i1 * d.IW + w.i1] += t * h.w1 * w.w1;
        }
      }
  }
}

template <class T>
void upsample2d_forward(const UpsampleDesc& d, const T* in, T* out) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return upsample2d_forward_fast(d, in, out);
  upsample2d_forward_reference<T>(d, in, out);
}

template <class T>
void upsample2d_backward(const UpsampleDesc& d, const T* grad_out, T* grad_in) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return upsample2d_backward_fast(d, grad_out, grad_in);
  upsample2d_backward_reference<T>(d, grad_out, grad_in);
}

#define PHYSCNN_UPSAMPLE_INSTANTIATE(T)                                                \
  template LinearTap<T> linear_source_tap<T>(int64_t, int64_t, int64_t, bool, double); \
  template void upsample2d_forward_reference<T>(const UpsampleDesc&, const T*, T*);    \
  template void upsample2d_backward_reference<T>(const UpsampleDesc&, const T*, T*);   \
  template void upsample2d_forward<T>(const UpsampleDesc&, const T*, T*);              \
  template void upsample2d_backward<T>(const UpsampleDesc&, const T*, T*);
PHYSCNN_UPSAMPLE_INSTANTIATE(float)
PHYSCNN_UPSAMPLE_INSTANTIATE(double)
#undef PHYSCNN_UPSAMPLE_INSTANTIATE

}  // namespace physcnn::kernels

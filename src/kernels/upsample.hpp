// 2-D upsampling (nearest and bilinear) on raw NCHW buffers with PyTorch 1.13's source-index
// rules: reference kernels (float/double, per-pixel formulas), fast float kernels (per-axis
// index tables, threaded over N*C planes) and the dispatchers.
#pragma once

#include <cstdint>
#include <string_view>

namespace physcnn::kernels {

enum class UpsampleFilter { Nearest, Bilinear };

// Geometry of an upsampling. scale_h/scale_w are the user's scale factors when the output size
// came from them, 0 when an explicit size was given. PyTorch 1.13 (F.interpolate with
// scale_factor and recompute_scale_factor=None) passes the scale to the kernel, which then
// uses 1/scale as the source/destination ratio instead of IH/OH; the two differ when IH*scale
// is not an integer (e.g. 5 * 1.5 -> 7 pixels, ratio 0.6667 vs 0.7143). align_corners ignores
// the scale (ratio (I-1)/(O-1)).
struct UpsampleDesc {
  int64_t N = 1, C = 1, IH = 1, IW = 1, OH = 1, OW = 1;
  UpsampleFilter filter = UpsampleFilter::Nearest;
  bool align_corners = false;  // bilinear only
  double scale_h = 0.0, scale_w = 0.0;
};

// Throws ShapeError for empty inputs or outputs; `op` names the op in the message.
void upsample2d_validate(const UpsampleDesc& d, std::string_view op);

// Nearest source index of output index o along an axis of I -> O pixels (PyTorch's nearest_idx:
// copy when O == I, o/2 when O == 2I, else min(floor(o * ratio), I-1) with the ratio in float).
int64_t nearest_source_index(int64_t o, int64_t I, int64_t O, double scale);

// Linear interpolation taps along one axis: out[o] = w0 * in[i0] + w1 * in[i1] (PyTorch's
// compute_source_index_and_lambda; the ratio and weights in T, as its opmath type).
template <class T>
struct LinearTap {
  int64_t i0, i1;
  T w0, w1;
};
template <class T>
LinearTap<T> linear_source_tap(int64_t o, int64_t I, int64_t O, bool align_corners, double scale);

// in (N,C,IH,IW) -> out (N,C,OH,OW)
template <class T>
void upsample2d_forward_reference(const UpsampleDesc& d, const T* in, T* out);
void upsample2d_forward_fast(const UpsampleDesc& d, const float* in, float* out);
template <class T>
void upsample2d_forward(const UpsampleDesc& d, const T* in, T* out);

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW), accumulated (+=): each output's gradient is
// scattered to its source pixels with the forward weights.
template <class T>
void upsample2d_backward_reference(const UpsampleDesc& d, const T* grad_out, T* grad_in);
void upsample2d_backward_fast(const UpsampleDesc& d, const float* grad_out, float* grad_in);
template <class T>
void upsample2d_backward(const UpsampleDesc& d, const T* grad_out, T* grad_in);

}  // namespace physcnn::kernels

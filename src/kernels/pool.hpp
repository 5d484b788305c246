// Max and average pooling on raw NCHW buffers: a descriptor validated in one place, reference
// kernels (float/double, plain loops) and fast float kernels (threaded over N*C planes, with a
// vectorisable path for 2x2 stride-2 windows), plus the dispatchers that pick one.
#pragma once

#include <cstdint>
#include <string_view>

namespace physcnn::kernels {

// Geometry of a 2-D pooling. 1-D pooling is the case IH = KH = SH = DH = 1, PH = 0.
// OH and OW are filled by pool2d_resolve; every kernel assumes a resolved descriptor.
struct Pool2dDesc {
  int64_t N = 1, C = 1, IH = 1, IW = 1;
  int64_t KH = 1, KW = 1;
  int64_t SH = 1, SW = 1;
  int64_t PH = 0, PW = 0;  // symmetric padding
  int64_t DH = 1, DW = 1;  // dilation (max pooling only)
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
  int64_t OH = 0, OW = 0;
};

// One output extent by PyTorch's rule (pooling_output_shape):
// O = floor_or_ceil((I + 2P - D(K-1) - 1) / S) + 1, and in ceil mode the last window must start
// inside the input or the left padding. May return <= 0 when the window does not fit.
int64_t pool_output_extent(int64_t I, int64_t K, int64_t S, int64_t P, int64_t D, bool ceil_mode);

// Validates the geometry and fills OH, OW. Throws UsageError for non-positive kernel, stride or
// dilation and ShapeError when the padding exceeds half the kernel (PyTorch's check) or the
// output would be empty; `op` names the op in messages ("max_pool2d"; a name ending in "1d"
// prints only the W numbers).
void pool2d_resolve(Pool2dDesc& d, std::string_view op);

// --- max pooling ---------------------------------------------------------------------------
// in (N,C,IH,IW) -> out (N,C,OH,OW); argmax (N,C,OH,OW) holds ih*IW+iw within the plane, or is
// nullptr when no backward will follow. Padding acts as -inf; the first maximum wins and a NaN
// wins over everything (as PyTorch: `val > max || isnan(val)`).
template <class T>
void max_pool2d_forward_reference(const Pool2dDesc& d, const T* in, T* out, int32_t* argmax);
void max_pool2d_forward_fast(const Pool2dDesc& d, const float* in, float* out, int32_t* argmax);
template <class T>
void max_pool2d_forward(const Pool2dDesc& d, const T* in, T* out, int32_t* argmax);

// grad_out (N,C,OH,OW), argmax (N,C,OH,OW) -> grad_in (N,C,IH,IW), accumulated (+=).
template <class T>
void max_pool2d_backward_reference(const Pool2dDesc& d, const T* grad_out, const int32_t* argmax,
                                   T* grad_in);
void max_pool2d_backward_fast(const Pool2dDesc& d, const float* grad_out, const int32_t* argmax,
                              float* grad_in);
template <class T>
void max_pool2d_backward(const Pool2dDesc& d, const T* grad_out, const int32_t* argmax, T* grad_in);

// --- average pooling -----------------------------------------------------------------------
// in (N,C,IH,IW) -> out (N,C,OH,OW). Divisor as PyTorch's avg_pool2d: with count_include_pad
// the window clipped to the padded input (so ceil-mode tail windows do not count what lies past
// the padding), else only the input pixels it covers.
template <class T>
void avg_pool2d_forward_reference(const Pool2dDesc& d, const T* in, T* out);
void avg_pool2d_forward_fast(const Pool2dDesc& d, const float* in, float* out);
template <class T>
void avg_pool2d_forward(const Pool2dDesc& d, const T* in, T* out);

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW), accumulated (+=).
template <class T>
void avg_pool2d_backward_reference(const Pool2dDesc& d, const T* grad_out, T* grad_in);
void avg_pool2d_backward_fast(const Pool2dDesc& d, const float* grad_out, float* grad_in);
template <class T>
void avg_pool2d_backward(const Pool2dDesc& d, const T* grad_out, T* grad_in);

// Global pooling is the descriptor whose window is the whole input (KH = IH, KW = IW, no
// padding): OH = OW = 1.
Pool2dDesc global_pool2d_desc(int64_t N, int64_t C, int64_t IH, int64_t IW);

namespace detail {
// Input rows [lo, hi) a max-pooling window visits with step D (PyTorch's cpu_max_pool: the
// start skips forward by whole dilation steps until it is inside the input).
struct Span {
  int64_t lo, hi;
};
inline Span max_window(int64_t o, int64_t I, int64_t K, int64_t S, int64_t P, int64_t D) {
  int64_t lo = o * S - P;
  const int64_t hi = lo + (K - 1) * D + 1 < I ? lo + (K - 1) * D + 1 : I;
  while (lo < 0) lo += D;
  return {lo, hi};
}
// Average-pooling window: `padded` is its extent clipped to the padded input (the
// count_include_pad divisor factor); lo/hi are clipped to the input itself.
struct AvgSpan {
  int64_t lo, hi, padded;
};
inline AvgSpan avg_window(int64_t o, int64_t I, int64_t K, int64_t S, int64_t P) {
  const int64_t lo = o * S - P;
  const int64_t hi = lo + K < I + P ? lo + K : I + P;
  return {lo < 0 ? 0 : lo, hi < I ? hi : I, hi - lo};
}
}  // namespace detail

}  // namespace physcnn::kernels

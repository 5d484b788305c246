// Pooling geometry (PyTorch's output-size and padding rules), the reference max/average pooling
// kernels written as the textbook loops, and the dispatchers choosing reference or fast.
#include "kernels/pool.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "kernels/backend.hpp"

namespace physcnn::kernels {

namespace {
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// "3x3" for 2-D ops, "3" for 1-D ones.
std::string pair(int64_t h, int64_t w, bool one_d) {
  return one_d ? std::to_string(w) : std::to_string(h) + "x" + std::to_string(w);
}
}  // namespace

int64_t pool_output_extent(int64_t I, int64_t K, int64_t S, int64_t P, int64_t D, bool ceil_mode) {
  const int64_t span = I + 2 * P - D * (K - 1) - 1;
  int64_t O = floor_div(span + (ceil_mode ? S - 1 : 0), S) + 1;
  // PyTorch: "ensure that the last pooling starts inside the image".
  if (ceil_mode && (O - 1) * S >= I + P) --O;
  return O;
}

void pool2d_resolve(Pool2dDesc& d, std::string_view op_view) {
  const std::string op(op_view);
  const bool one_d = op.size() >= 2 && op.compare(op.size() - 2, 2, "1d") == 0;
  const std::string input = one_d ? "[" + std::to_string(d.N) + "," + std::to_string(d.C) + "," +
                                        std::to_string(d.IW) + "]"
                                  : "[" + std::to_string(d.N) + "," + std::to_string(d.C) + "," +
                                        std::to_string(d.IH) + "," + std::to_string(d.IW) + "]";
  PHYSCNN_CHECK_SHAPE(d.N > 0 && d.C > 0 && d.IH > 0 && d.IW > 0, op,
                      ": input has an empty dimension (input ", input, ")");
  PHYSCNN_CHECK_ARG(d.KH > 0 && d.KW > 0, op, ": kernel must be positive, got ",
                    pair(d.KH, d.KW, one_d));
  PHYSCNN_CHECK_ARG(d.SH > 0 && d.SW > 0, op, ": stride must be positive, got ",
                    pair(d.SH, d.SW, one_d));
  PHYSCNN_CHECK_ARG(d.DH > 0 && d.DW > 0, op, ": dilation must be positive, got ",
                    pair(d.DH, d.DW, one_d));
  PHYSCNN_CHECK_ARG(d.PH >= 0 && d.PW >= 0, op, ": padding must be non-negative, got ",
                    pair(d.PH, d.PW, one_d));
  PHYSCNN_CHECK_SHAPE(d.PH <= d.KH / 2 && d.PW <= d.KW / 2, op, ": padding ",
                      pair(d.PH, d.PW, one_d), " must be at most half the kernel ",
                      pair(d.KH, d.KW, one_d), " (PyTorch's rule; input ", input, ")");
  PHYSCNN_CHECK_SHAPE(d.IH * d.IW <= std::numeric_limits<int32_t>::max(), op, ": input plane ",
                      d.IH, "x", d.IW, " too large for 32-bit argmax indices");
  d.OH = pool_output_extent(d.IH, d.KH, d.SH, d.PH, d.DH, d.ceil_mode);
  d.OW = pool_output_extent(d.IW, d.KW, d.SW, d.PW, d.DW, d.ceil_mode);
  PHYSCNN_CHECK_SHAPE(d.OH >= 1 && d.OW >= 1, op, ": kernel ", pair(d.KH, d.KW, one_d), " (stride ",
                      pair(d.SH, d.SW, one_d), ", dilation ", pair(d.DH, d.DW, one_d),
                      ") with padding ", pair(d.PH, d.PW, one_d), " does not fit input ",
                      pair(d.IH, d.IW, one_d), " ((I+2P-D(K-1)-1)/S+1 = ", pair(d.OH, d.OW, one_d),
                      "; input ", input, ")");
}

Pool2dDesc global_pool2d_desc(int64_t N, int64_t C, int64_t IH, int64_t IW) {
  Pool2dDesc d{.N = N, .C = C, .IH = IH, .IW = IW, .KH = IH, .KW = IW, .SH = IH, .SW = IW};
  d.OH = d.OW = 1;
  return d;
}

// --- reference kernels ------------------------------------------------------------------------

// in (N,C,IH,IW) -> out (N,C,OH,OW), argmax (N,C,OH,OW) or nullptr
template <class T>
void max_pool2d_forward_reference(const Pool2dDesc& d, const T* in, T* out, int32_t* argmax) {
  for (int64_t p = 0; p < d.N * d.C; ++p) {
    const T* x = in + p * d.IH * d.IW;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const detail::Span h = detail::max_window(oh, d.IH, d.KH, d.SH, d.PH, d.DH);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const detail::Span w = detail::max_window(ow, d.IW, d.KW, d.SW, d.PW, d.DW);
        int64_t best_index = h.lo * d.IW + w.lo;
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t ih = h.lo; ih < h.hi; ih += d.DH)
          for (int64_t iw = w.lo; iw < w.hi; iw += d.DW) {
            const T v = x[ih * d.IW + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = ih * d.IW + iw;
            }
          }
        const int64_t o = (p * d.OH + oh) * d.OW + ow;
        out[o] = best;
        if (argmax) argmax[o] = static_cast<int32_t>(best_index);
      }
    }
  }
}

// grad_out (N,C,OH,OW), argmax (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=
template <class T>
void max_pool2d_backward_reference(const Pool2dDesc& d, const T* grad_out, const int32_t* argmax,
                                   T* grad_in) {
  for (int64_t p = 0; p < d.N * d.C; ++p)
    for (int64_t o = 0; o < d.OH * d.OW; ++o) {
      const int64_t i = p * d.OH * d.OW + o;
      grad_in[p * d.IH * d.IW + argmax[i]] += grad_out[i];
    }
}

// in (N,C,IH,IW) -> out (N,C,OH,OW)
template <class T>
void avg_pool2d_forward_reference(const Pool2dDesc& d, const T* in, T* out) {
  for (int64_t p = 0; p < d.N * d.C; ++p) {
    const T* x = in + p * d.IH * d.IW;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const detail::AvgSpan h = detail::avg_window(oh, d.IH, d.KH, d.SH, d.PH);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const detail::AvgSpan w = detail::avg_window(ow, d.IW, d.KW, d.SW, d.PW);
        T& y = out[(p * d.OH + oh) * d.OW + ow];
        if (h.lo >= h.hi || w.lo >= w.hi) {  // window entirely in padding: PyTorch writes 0
          y = T(0);
          continue;
        }
        T sum = T(0);
        for (int64_t ih = h.lo; ih < h.hi; ++ih)
          for (int64_t iw = w.lo; iw < w.hi; ++iw) sum += x[ih * d.IW + iw];
        const int64_t divisor =
            d.count_include_pad ? h.padded * w.padded : (h.hi - h.lo) * (w.hi - w.lo);
        y = sum / T(divisor);
      }
    }
  }
}

// grad_out (N,C,OH,OW) -> grad_in (N,C,IH,IW) +=
template <class T>
void avg_pool2d_backward_reference(const Pool2dDesc& d, const T* grad_out, T* grad_in) {
  for (int64_t p = 0; p < d.N * d.C; ++p) {
    T* gx = grad_in + p * d.IH * d.IW;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const detail::AvgSpan h = detail::avg_window(oh, d.IH, d.KH, d.SH, d.PH);
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const detail::AvgSpan w = detail::avg_window(ow, d.IW, d.KW, d.SW, d.PW);
        if (h.lo >= h.hi || w.lo >= w.hi) continue;
        const int64_t divisor =
            d.count_include_pad ? h.padded * w.padded : (h.hi - h.lo) * (w.hi - w.lo);
        const T share = grad_out[(p * d.OH + oh) * d.OW + ow] / T(divisor);
        for (int64_t ih = h.lo; ih < h.hi; ++ih)
          for (int64_t iw = w.lo; iw < w.hi; ++iw) gx[ih * d.IW + iw] += share;
      }
    }
  }
}

// --- dispatchers ------------------------------------------------------------------------------

template <class T>
void max_pool2d_forward(const Pool2dDesc& d, const T* in, T* out, int32_t* argmax) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return max_pool2d_forward_fast(d, in, out, argmax);
  max_pool2d_forward_reference<T>(d, in, out, argmax);
}

template <class T>
void max_pool2d_backward(const Pool2dDesc& d, const T* grad_out, const int32_t* argmax,
                         T* grad_in) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return max_pool2d_backward_fast(d, grad_out, argmax, grad_in);
  max_pool2d_backward_reference<T>(d, grad_out, argmax, grad_in);
}

template <class T>
void avg_pool2d_forward(const Pool2dDesc& d, const T* in, T* out) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return avg_pool2d_forward_fast(d, in, out);
  avg_pool2d_forward_reference<T>(d, in, out);
}

template <class T>
void avg_pool2d_backward(const Pool2dDesc& d, const T* grad_out, T* grad_in) {
  if constexpr (std::is_same_v<T, float>)
    if (use_fast<T>()) return avg_pool2d_backward_fast(d, grad_out, grad_in);
  avg_pool2d_backward_reference<T>(d, grad_out, grad_in);
}

#define PHYSCNN_POOL_INSTANTIATE(T)                                                                \
  template void max_pool2d_forward_reference<T>(const Pool2dDesc&, const T*, T*, int32_t*);        \
  template void max_pool2d_backward_reference<T>(const Pool2dDesc&, const T*, const int32_t*, T*); \
  template void avg_pool2d_forward_reference<T>(const Pool2dDesc&, const T*, T*);                  \
  template void avg_pool2d_backward_reference<T>(const Pool2dDesc&, const T*, T*);                 \
  template void max_pool2d_forward<T>(const Pool2dDesc&, const T*, T*, int32_t*);                  \
  template void max_pool2d_backward<T>(const Pool2dDesc&, const T*, const int32_t*, T*);           \
  template void avg_pool2d_forward<T>(const Pool2dDesc&, const T*, T*);                            \
  template void avg_pool2d_backward<T>(const Pool2dDesc&, const T*, T*);
PHYSCNN_POOL_INSTANTIATE(float)
PHYSCNN_POOL_INSTANTIATE(double)
#undef PHYSCNN_POOL_INSTANTIATE

}  // namespace physcnn::kernels

// Convolution descriptors (validation, printing), the dispatchers (float: the first entry of the
// implementation list in conv_dispatch.cpp), and transposed convolution composed from conv2d.
#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/shape.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv_dispatch.hpp"

namespace physcnn::kernels {

std::string Conv2dDesc::input_str() const {
  return detail::cat("[", N, ",", IC, ",", IH, ",", IW, "]");
}
std::string Conv2dDesc::weight_str() const {
  return detail::cat("[", OC, ",", G > 0 ? IC / G : IC, ",", KH, ",", KW, "]");
}
std::string Conv2dDesc::str() const {
  return detail::cat("input ", input_str(), " weight ", weight_str(), " stride (", SH, ",", SW,
                     ") pad (top ", PH[0], ", bottom ", PH[1], ", left ", PW[0], ", right ", PW[1],
                     ") dilation (", DH, ",", DW, ") groups ", G);
}

namespace {
// One spatial axis of the output-size formula, with the numbers in the error message.
int64_t conv_output_extent(std::string_view op, const char* axis, int64_t in, int64_t pad_lo,
                           int64_t pad_hi, int64_t k, int64_t s, int64_t dil,
                           const std::string& shapes) {
  const int64_t span = in + pad_lo + pad_hi - dil * (k - 1) - 1;
  PHYSCNN_CHECK_SHAPE(span >= 0, op, ": output ", axis,
                      " (I + P_lo + P_hi - D*(K-1) - 1)/S + 1 = (", in, " + ", pad_lo, " + ",
                      pad_hi, " - ", dil, "*(", k, "-1) - 1)/", s,
                      " + 1 < 1: the kernel does not fit the padded input (", shapes, ")");
  return span / s + 1;
}
// Checks shared by convolution and transposed convolution descriptors (same field names).
template <class Desc>
void check_extents(const Desc& d, std::string_view op, const std::string& shapes) {
  PHYSCNN_CHECK_ARG(
      d.N >= 0 && d.IC > 0 && d.IH > 0 && d.IW > 0 && d.OC > 0 && d.KH > 0 && d.KW > 0, op,
      ": empty input, weight or channel count (", shapes, ")");
  PHYSCNN_CHECK_ARG(d.SH > 0 && d.SW > 0, op, ": stride must be positive, got (", d.SH, ",", d.SW,
                    ")");
  PHYSCNN_CHECK_ARG(d.DH > 0 && d.DW > 0, op, ": dilation must be positive, got (", d.DH, ",", d.DW,
                    ")");
}
// A layer's output extents are bounded (core/shape.hpp) before anything is allocated: padding
// and strides of a model file are at most 65,536 each, but the output they give is bigger.
void check_output_limit(std::string_view op, int64_t oh, int64_t ow, const std::string& shapes) {
  PHYSCNN_CHECK_SHAPE(oh <= kMaxLayerExtent && ow <= kMaxLayerExtent, op, ": output size ", oh, "x",
                      ow, " is more than ", kMaxLayerExtent,
                      " (the limit for a layer output's extent; ", shapes, ")");
}
}  // namespace

void conv2d_validate(Conv2dDesc& d, std::string_view op) {
  const std::string shapes = detail::cat("input ", d.input_str(), ", weight ", d.weight_str());
  check_extents(d, op, shapes);
  PHYSCNN_CHECK_ARG(d.G > 0, op, ": groups must be positive, got ", d.G);
  PHYSCNN_CHECK_SHAPE(d.IC % d.G == 0, op, ": input channels ", d.IC, " not divisible by groups ",
                      d.G, " (", shapes, ")");
  PHYSCNN_CHECK_SHAPE(d.OC % d.G == 0, op, ": output channels ", d.OC, " not divisible by groups ",
                      d.G, " (", shapes, ")");
  d.OH = conv_output_extent(op, "height", d.IH, d.PH[0], d.PH[1], d.KH, d.SH, d.DH, shapes);
  d.OW = conv_output_extent(op, "width", d.IW, d.PW[0], d.PW[1], d.KW, d.SW, d.DW, shapes);
  check_output_limit(op, d.OH, d.OW, shapes);
}

// --- dispatchers -----------------------------------------------------------------------------

template <class T>
void conv2d_forward(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    const ConvPass pass = ConvPass::Forward;
    return conv2d_dispatch(d, pass).kernel(d, pass, {.x = x, .w = w, .b = b, .y = y});
  }
  conv2d_forward_reference<T>(d, x, w, b, y);
}

template <class T>
void conv2d_relu_forward_reference(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y) {
  conv2d_forward_reference<T>(d, x, w, b, y);
  const int64_t n = d.N * d.OC * d.OH * d.OW;
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(y[i], T(0));
}

namespace {
// Branch-free and unaliased so that it vectorises: with a branch per element, the random signs
// of y cost a misprediction every other element (W1 training was 1.5x slower with it).
template <class T>
void relu_mask(const T* __restrict y, const T* __restrict dy, T* __restrict dz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = dy[i];  // loaded unconditionally, so the select becomes a blend
    dz[i] = y[i] > T(0) ? g : T(0);
  }
}
}  // namespace

template <class T>
void relu_mask_in_place(const T* __restrict y, T* __restrict d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T g = d[i];
    d[i] = y[i] > T(0) ? g : T(0);
  }
}

template <class T>
void relu_backward_from_output(int64_t n, const T* y, const T* dy, T* dz) {
  parallel_for(0, n, 1 << 16, [=](int64_t lo, int64_t hi) {
    if (dz == dy)
      relu_mask_in_place<T>(y + lo, dz + lo, hi - lo);
    else
      relu_mask<T>(y + lo, dy + lo, dz + lo, hi - lo);
  });
}

template <class T>
void conv2d_relu_forward(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    const ConvPass pass = ConvPass::Forward;
    return conv2d_dispatch(d, pass).kernel(d, pass, {.x = x, .w = w, .b = b, .y = y, .relu = true});
  }
  conv2d_relu_forward_reference<T>(d, x, w, b, y);
}

template <class T>
void conv2d_backward_data(const Conv2dDesc& d, const T* dy, const T* w, T* dx) {
  if constexpr (std::is_same_v<T, float>) {
    const ConvPass pass = ConvPass::BackwardData;
    return conv2d_dispatch(d, pass).kernel(d, pass, {.w = w, .dy = dy, .dx = dx});
  }
  conv2d_backward_data_reference<T>(d, dy, w, dx);
}

template <class T>
void conv2d_backward_weight(const Conv2dDesc& d, const T* x, const T* dy, T* dw, T* db) {
  if constexpr (std::is_same_v<T, float>) {
    const ConvPass pass = ConvPass::BackwardWeight;
    return conv2d_dispatch(d, pass).kernel(d, pass, {.x = x, .dy = dy, .dw = dw, .db = db});
  }
  conv2d_backward_weight_reference<T>(d, x, dy, dw, db);
}

// --- transposed convolution ---------------------------------------------------------------

std::string ConvTranspose2dDesc::input_str() const {
  return detail::cat("[", N, ",", IC, ",", IH, ",", IW, "]");
}
std::string ConvTranspose2dDesc::weight_str() const {
  return detail::cat("[", IC, ",", G > 0 ? OC / G : OC, ",", KH, ",", KW, "]");
}
std::string ConvTranspose2dDesc::str() const {
  return detail::cat("input ", input_str(), " weight ", weight_str(), " stride (", SH, ",", SW,
                     ") pad (", PH, ",", PW, ") output_padding (", OPH, ",", OPW, ") dilation (",
                     DH, ",", DW, ") groups ", G);
}

void conv_transpose2d_validate(ConvTranspose2dDesc& d, std::string_view op) {
  const std::string shapes = detail::cat("input ", d.input_str(), ", weight ", d.weight_str());
  check_extents(d, op, shapes);
  PHYSCNN_CHECK_ARG(d.PH >= 0 && d.PW >= 0, op, ": padding must be >= 0, got (", d.PH, ",", d.PW,
                    ")");
  PHYSCNN_CHECK_ARG(d.G > 0, op, ": groups must be positive, got ", d.G);
  PHYSCNN_CHECK_SHAPE(d.IC % d.G == 0, op, ": input channels ", d.IC, " not divisible by groups ",
                      d.G, " (", shapes, ")");
  PHYSCNN_CHECK_SHAPE(d.OC % d.G == 0, op, ": output channels ", d.OC, " not divisible by groups ",
                      d.G, " (", shapes, ")");
  // PyTorch: "output padding must be smaller than either stride or dilation".
  PHYSCNN_CHECK_ARG(
      d.OPH >= 0 && d.OPW >= 0 && (d.OPH < d.SH || d.OPH < d.DH) && (d.OPW < d.SW || d.OPW < d.DW),
      op, ": output_padding (", d.OPH, ",", d.OPW, ") must be smaller than either stride (", d.SH,
      ",", d.SW, ") or dilation (", d.DH, ",", d.DW, ")");
  d.OH = (d.IH - 1) * d.SH - 2 * d.PH + d.DH * (d.KH - 1) + d.OPH + 1;
  d.OW = (d.IW - 1) * d.SW - 2 * d.PW + d.DW * (d.KW - 1) + d.OPW + 1;
  PHYSCNN_CHECK_SHAPE(d.OH >= 1 && d.OW >= 1, op,
                      ": output size (I-1)*S - 2*P + D*(K-1) + OP + 1 = (", d.IH, "-1)*", d.SH,
                      " - 2*", d.PH, " + ", d.DH, "*(", d.KH, "-1) + ", d.OPH, " + 1 = ", d.OH,
                      " by (", d.IW, "-1)*", d.SW, " - 2*", d.PW, " + ", d.DW, "*(", d.KW, "-1) + ",
                      d.OPW, " + 1 = ", d.OW, " is empty (", shapes, ")");
  check_output_limit(op, d.OH, d.OW, shapes);
}

Conv2dDesc conv_transpose2d_as_conv(const ConvTranspose2dDesc& t) {
  Conv2dDesc c{.N = t.N,
               .IC = t.OC,
               .IH = t.OH,
               .IW = t.OW,
               .OC = t.IC,
               .KH = t.KH,
               .KW = t.KW,
               .SH = t.SH,
               .SW = t.SW,
               .PH = {t.PH, t.PH - t.OPH},
               .PW = {t.PW, t.PW - t.OPW},
               .DH = t.DH,
               .DW = t.DW,
               .G = t.G};
  // (OH + PH + PH - OPH - DH*(KH-1) - 1) = (IH-1)*SH exactly, so the conv's output is IH.
  c.OH = (c.IH + c.PH[0] + c.PH[1] - c.DH * (c.KH - 1) - 1) / c.SH + 1;
  c.OW = (c.IW + c.PW[0] + c.PW[1] - c.DW * (c.KW - 1) - 1) / c.SW + 1;
  PHYSCNN_CHECK(c.OH == t.IH && c.OW == t.IW, Error,
                "conv_transpose2d: internal geometry mismatch for ", t.str());
  return c;
}

namespace {
// y (N,C,HW) += b[c]
template <class T>
void add_channel_bias(int64_t N, int64_t C, int64_t HW, const T* b, T* y) {
  parallel_for(0, N * C, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, HW)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t nc = lo; nc < hi; ++nc) {
                   const T bc = b[nc % C];
                   T* p = y + nc * HW;
                   for (int64_t i = 0; i < HW; ++i) p[i] += bc;
                 }
               });
}
// db[c] = sum over n and pixels of dy (N,C,HW), accumulated in double.
template <class T>
void channel_sum(int64_t N, int64_t C, int64_t HW, const T* dy, T* db) {
  parallel_for(0, C, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, N * HW)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t c = lo; c < hi; ++c) {
                   double s = 0;
                   for (int64_t n = 0; n < N; ++n) {
                     const T* p = dy + (n * C + c) * HW;
                     for (int64_t i = 0; i < HW; ++i) s += p[i];
                   }
                   db[c] = static_cast<T>(s);
                 }
               });
}
}  // namespace

template <class T>
void conv_transpose2d_forward_reference(const ConvTranspose2dDesc& d, const T* x, const T* w,
                                        const T* b, T* y) {
  conv2d_backward_data_reference<T>(conv_transpose2d_as_conv(d), x, w, y);
  if (b) add_channel_bias<T>(d.N, d.OC, d.OH * d.OW, b, y);
}
template <class T>
void conv_transpose2d_backward_data_reference(const ConvTranspose2dDesc& d, const T* dy, const T* w,
                                              T* dx) {
  conv2d_forward_reference<T>(conv_transpose2d_as_conv(d), dy, w, nullptr, dx);
}
template <class T>
void conv_transpose2d_backward_weight_reference(const ConvTranspose2dDesc& d, const T* x,
                                                const T* dy, T* dw, T* db) {
  conv2d_backward_weight_reference<T>(conv_transpose2d_as_conv(d), dy, x, dw, nullptr);
  if (db) channel_sum<T>(d.N, d.OC, d.OH * d.OW, dy, db);
}

template <class T>
void conv_transpose2d_forward(const ConvTranspose2dDesc& d, const T* x, const T* w, const T* b,
                              T* y) {
  conv2d_backward_data<T>(conv_transpose2d_as_conv(d), x, w, y);
  if (b) add_channel_bias<T>(d.N, d.OC, d.OH * d.OW, b, y);
}
template <class T>
void conv_transpose2d_backward_data(const ConvTranspose2dDesc& d, const T* dy, const T* w, T* dx) {
  conv2d_forward<T>(conv_transpose2d_as_conv(d), dy, w, nullptr, dx);
}
template <class T>
void conv_transpose2d_backward_weight(const ConvTranspose2dDesc& d, const T* x, const T* dy, T* dw,
                                      T* db) {
  conv2d_backward_weight<T>(conv_transpose2d_as_conv(d), dy, x, dw, nullptr);
  if (db) channel_sum<T>(d.N, d.OC, d.OH * d.OW, dy, db);
}

#define PHYSCNN_INSTANTIATE_CONV(T)                                                               \
  template void conv2d_forward<T>(const Conv2dDesc&, const T*, const T*, const T*, T*);           \
  template void conv2d_backward_data<T>(const Conv2dDesc&, const T*, const T*, T*);               \
  template void conv2d_relu_forward_reference<T>(const Conv2dDesc&, const T*, const T*, const T*, \
                                                 T*);                                             \
  template void conv2d_relu_forward<T>(const Conv2dDesc&, const T*, const T*, const T*, T*);      \
  template void relu_backward_from_output<T>(int64_t, const T*, const T*, T*);                    \
  template void conv2d_backward_weight<T>(const Conv2dDesc&, const T*, const T*, T*, T*);         \
  template void conv_transpose2d_forward_reference<T>(const ConvTranspose2dDesc&, const T*,       \
                                                      const T*, const T*, T*);                    \
  template void conv_transpose2d_backward_data_reference<T>(const ConvTranspose2dDesc&, const T*, \
                                                            const T*, T*);                        \
  template void conv_transpose2d_backward_weight_reference<T>(const ConvTranspose2dDesc&,         \
                                                              const T*, const T*, T*, T*);        \
  template void conv_transpose2d_forward<T>(const ConvTranspose2dDesc&, const T*, const T*,       \
                                            const T*, T*);                                        \
  template void conv_transpose2d_backward_data<T>(const ConvTranspose2dDesc&, const T*, const T*, \
                                                  T*);                                            \
  template void conv_transpose2d_backward_weight<T>(const ConvTranspose2dDesc&, const T*,         \
                                                    const T*, T*, T*);
PHYSCNN_INSTANTIATE_CONV(float)
PHYSCNN_INSTANTIATE_CONV(double)
#undef PHYSCNN_INSTANTIATE_CONV

}  // namespace physcnn::kernels

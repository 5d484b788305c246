// 2D convolution and transposed convolution on raw NCHW buffers: descriptors validated in one
// place, reference loops (float/double, the oracle), and dispatchers that run the first float
// implementation of the list in conv_dispatch.hpp. Padding here is always implicit zeros.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace physcnn::kernels {

// Geometry of one convolution. Fill the inputs, then call conv2d_validate(), which checks
// them and sets OH/OW:
//   OH = (IH + PH[0] + PH[1] - DH*(KH-1) - 1) / SH + 1   (floor), OW likewise.
// Padding may be negative only when the descriptor comes from a transposed convolution
// (conv_transpose2d_as_conv); the user-facing ops reject negative padding.
struct Conv2dDesc {
  int64_t N = 1, IC = 1, IH = 1, IW = 1;  // input (N,IC,IH,IW)
  int64_t OC = 1, KH = 1, KW = 1;         // weight (OC,IC/G,KH,KW)
  int64_t SH = 1, SW = 1;
  std::array<int64_t, 2> PH{0, 0};  // top, bottom
  std::array<int64_t, 2> PW{0, 0};  // left, right
  int64_t DH = 1, DW = 1;           // dilation; 1 is a dense kernel (oneDNN counts it as 0)
  int64_t G = 1;                    // groups; G == IC == OC/m is depthwise
  int64_t OH = 0, OW = 0;           // output (N,OC,OH,OW), set by conv2d_validate

  std::string input_str() const;   // "[N,IC,IH,IW]"
  std::string weight_str() const;  // "[OC,IC/G,KH,KW]"
  std::string str() const;         // every field, for test reports and errors
  bool operator==(const Conv2dDesc&) const = default;
};

// Checks the geometry and sets OH/OW; throws ShapeError naming `op`, the violated condition
// with its numbers (the output-size formula when the output would be empty) and the shapes.
void conv2d_validate(Conv2dDesc& d, std::string_view op = "conv2d");

// --- reference kernels (plain loops that read like the formulas) ---------------------------
// y[n,oc,oh,ow] = b[oc] + sum_{ic in group(oc), kh, kw} w[oc,ic',kh,kw] *
//                 x[n,ic, oh*SH - PH[0] + kh*DH, ow*SW - PW[0] + kw*DW]   (zero outside)
// x (N,IC,IH,IW), w (OC,IC/G,KH,KW), b (OC) or null, y (N,OC,OH,OW) written.
template <class T>
void conv2d_forward_reference(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y);
// dy (N,OC,OH,OW), w (OC,IC/G,KH,KW), dx (N,IC,IH,IW) written (not accumulated).
template <class T>
void conv2d_backward_data_reference(const Conv2dDesc& d, const T* dy, const T* w, T* dx);
// x (N,IC,IH,IW), dy (N,OC,OH,OW), dw (OC,IC/G,KH,KW) written, db (OC) written or null.
template <class T>
void conv2d_backward_weight_reference(const Conv2dDesc& d, const T* x, const T* dy, T* dw, T* db);
// Fused conv + bias + ReLU: y = max(0, conv2d_forward(x, w, b)); same shapes as the forward.
template <class T>
void conv2d_relu_forward_reference(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y);
// The ReLU part of the fused op's backward, from its saved output y (n elements):
// dz[i] = y[i] > 0 ? dy[i] : 0, the gradient at the convolution's output; dz may be dy.
template <class T>
void relu_backward_from_output(int64_t n, const T* y, const T* dy, T* dz);

// --- fast kernels (float32): the ordered implementation list in conv_dispatch.hpp ----------
// Number of cached oneDNN primitive sets (for tests and diagnostics).
int64_t conv2d_fast_cache_size();

// --- dispatchers: float runs the first implementation of conv_dispatch.hpp's list that supports
// the layer and pass (the reference on the reference backend); double runs the reference.
template <class T>
void conv2d_forward(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv2d_relu_forward(const Conv2dDesc& d, const T* x, const T* w, const T* b, T* y);
template <class T>
void conv2d_backward_data(const Conv2dDesc& d, const T* dy, const T* w, T* dx);
template <class T>
void conv2d_backward_weight(const Conv2dDesc& d, const T* x, const T* dy, T* dw, T* db);

// --- transposed convolution -------------------------------------------------------------------
// Geometry as PyTorch's ConvTranspose2d; validated by conv_transpose2d_validate, which sets
//   OH = (IH-1)*SH - 2*PH + DH*(KH-1) + OPH + 1, OW likewise,
// and requires OPH < SH or OPH < DH (PyTorch's rule).
struct ConvTranspose2dDesc {
  int64_t N = 1, IC = 1, IH = 1, IW = 1;  // input (N,IC,IH,IW)
  int64_t OC = 1, KH = 1, KW = 1;         // weight (IC,OC/G,KH,KW)
  int64_t SH = 1, SW = 1;
  int64_t PH = 0, PW = 0;    // symmetric
  int64_t OPH = 0, OPW = 0;  // output padding (extra rows/columns at the end)
  int64_t DH = 1, DW = 1;
  int64_t G = 1;
  int64_t OH = 0, OW = 0;  // output (N,OC,OH,OW), set by conv_transpose2d_validate

  std::string input_str() const;
  std::string weight_str() const;
  std::string str() const;
};

void conv_transpose2d_validate(ConvTranspose2dDesc& d, std::string_view op = "conv_transpose2d");

// The convolution whose backward-data is this transposed convolution: input (N,OC,OH,OW),
// weight (IC,OC/G,KH,KW) read as (OC',IC'/G,...), output (N,IC,IH,IW). Its bottom/right
// padding is PH - OPH (possibly negative) so that its output size is exactly IH x IW.
Conv2dDesc conv_transpose2d_as_conv(const ConvTranspose2dDesc& d);

// Transposed convolution is composed from the conv2d kernels (one implementation to test):
//   forward       = conv2d backward-data (+ bias)
//   backward-data = conv2d forward
//   weight grad   = conv2d weight grad with the roles of input and output swapped.
// x (N,IC,IH,IW), w (IC,OC/G,KH,KW), b (OC) or null, y (N,OC,OH,OW); gradients written.
template <class T>
void conv_transpose2d_forward_reference(const ConvTranspose2dDesc& d, const T* x, const T* w,
                                        const T* b, T* y);
template <class T>
void conv_transpose2d_backward_data_reference(const ConvTranspose2dDesc& d, const T* dy, const T* w,
                                              T* dx);
template <class T>
void conv_transpose2d_backward_weight_reference(const ConvTranspose2dDesc& d, const T* x,
                                                const T* dy, T* dw, T* db);
template <class T>
void conv_transpose2d_forward(const ConvTranspose2dDesc& d, const T* x, const T* w, const T* b,
                              T* y);
template <class T>
void conv_transpose2d_backward_data(const ConvTranspose2dDesc& d, const T* dy, const T* w, T* dx);
template <class T>
void conv_transpose2d_backward_weight(const ConvTranspose2dDesc& d, const T* x, const T* dy, T* dw,
                                      T* db);

}  // namespace physcnn::kernels

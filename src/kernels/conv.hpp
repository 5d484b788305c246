// 2D convolution and transposed convolution on raw NCHW buffers: descriptors validated in one
// place, reference loops (float/double, the oracle) and fast float kernels (oneDNN primitives),
// and dispatchers that ask use_fast<T>(). Padding here is always implicit zeros.
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

// --- fast kernels (float; oneDNN convolution primitives cached per descriptor) ----------------
// Same shapes and contracts as the reference kernels.
void conv2d_forward_fast(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                         float* y);
// y = max(0, conv(x) + b) in one pass (oneDNN ReLU post-op).
void conv2d_relu_forward_fast(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                              float* y);
void conv2d_backward_data_fast(const Conv2dDesc& d, const float* dy, const float* w, float* dx);
void conv2d_backward_weight_fast(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                 float* db);
// Direct kernels (conv_direct*.cpp; AVX-512F or AVX2+FMA, chosen at run time) for stride 1,
// dilation 1, groups 1 and KW <= 5, any zero padding: the fast path for few-channel layers.
// Same shapes and contracts as above; they throw UsageError on other geometries or when
// conv2d_direct_available() is false.
void conv2d_forward_direct(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, bool relu);
void conv2d_backward_data_direct(const Conv2dDesc& d, const float* dy, const float* w, float* dx);
void conv2d_backward_weight_direct(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                   float* db);
// The instruction set the direct kernels run with: the best this CPU has, at most the limit set
// by conv2d_direct_limit_isa (tests: behave like an older CPU; Avx512 lifts the limit).
enum class DirectIsa { None, Avx2, Avx512 };
DirectIsa conv2d_direct_isa();
bool conv2d_direct_available();  // conv2d_direct_isa() != DirectIsa::None
void conv2d_direct_limit_isa(DirectIsa limit);
// Whether the direct forward (and so backward data, a forward of the flipped filter bank) runs
// this geometry as Winograd F(2x2,3x3) (conv_winograd_avx2.cpp): 3x3, stride 1, at least 8
// input channels, AVX2 kernels, FastPaths::winograd on (measured rule).
bool conv2d_direct_winograd(const Conv2dDesc& d);
// im2col + sgemm per image (conv_gemm.cpp), groups == 1 only: the fast path for few-channel
// layers, where oneDNN's backward primitives are slow. Same shapes and contracts as above.
void conv2d_backward_weight_gemm(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                 float* db);
void conv2d_backward_data_gemm(const Conv2dDesc& d, const float* dy, const float* w, float* dx);
void conv2d_forward_gemm(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                         float* y, bool relu);
// Whether the *_fast kernels use the gemm versions for this geometry and pass (measured rule).
enum class ConvPass { Forward, BackwardData, BackwardWeight };
bool conv2d_gemm_preferred(const Conv2dDesc& d, ConvPass pass);
// Whether the *_fast kernels use the direct versions (measured rule; checked before the gemm one).
bool conv2d_direct_preferred(const Conv2dDesc& d, ConvPass pass);
// Whether the oneDNN primitives take and give activations in plain NCHW (no reorder to and from
// a blocked layout around every call) for this geometry (measured rule, conv_fast.cpp).
bool conv2d_plain_layout(const Conv2dDesc& d);
// Whether the oneDNN pass asks for Winograd F(4x4,3x3) (3x3, stride 1, 16k channels; oneDNN
// falls back to the direct algorithm where it has no Winograd kernel); measured rule.
bool conv2d_winograd_preferred(const Conv2dDesc& d, ConvPass pass);
// Number of cached oneDNN primitive sets (for tests and diagnostics).
int64_t conv2d_fast_cache_size();

// --- dispatchers: fast for float on the fast backend, else reference ------------------------
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

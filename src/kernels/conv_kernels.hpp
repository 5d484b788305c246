// Internal to kernels/: the float32 convolution kernels that the implementation list
// (conv_dispatch.cpp) runs. Callers outside kernels/ go through the list or the dispatchers.
#pragma once

#include "kernels/conv.hpp"

namespace physcnn::kernels {

// Direct NCHW kernels (conv_direct*.cpp) for stride 1, dilation 1, groups 1, KW <= 5, any zero
// padding; WinogradAvx2 is F(2x2,3x3) for 3x3 kernels and has no weight gradient. The caller
// checks geometry and CPU (the list's handles()). Same shapes and contracts as conv.hpp.
enum class DirectKernel { Avx512, Avx2, WinogradAvx2 };
void conv2d_forward_direct(DirectKernel k, const Conv2dDesc& d, const float* x, const float* w,
                           const float* b, float* y, bool relu);
void conv2d_backward_data_direct(DirectKernel k, const Conv2dDesc& d, const float* dy,
                                 const float* w, float* dx);
void conv2d_backward_weight_direct(DirectKernel k, const Conv2dDesc& d, const float* x,
                                   const float* dy, float* dw, float* db);

// im2col + sgemm per image (conv_gemm.cpp), groups == 1.
void conv2d_forward_gemm(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                         float* y, bool relu);
void conv2d_backward_data_gemm(const Conv2dDesc& d, const float* dy, const float* w, float* dx);
void conv2d_backward_weight_gemm(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                 float* db);

// oneDNN primitives (conv_fast.cpp), non-negative padding; `winograd` asks for its Winograd
// algorithm, which falls back to the direct one where oneDNN has no kernel for the geometry.
void conv2d_forward_onednn(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, bool relu, bool winograd);
void conv2d_backward_data_onednn(const Conv2dDesc& d, const float* dy, const float* w, float* dx,
                                 bool winograd);
void conv2d_backward_weight_onednn(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                   float* db, bool winograd);

}  // namespace physcnn::kernels

// Direct NCHW convolution for few-channel layers (stride 1, dilation 1, groups 1, float32, any
// zero padding): the entry points per kernel (AVX-512F in conv_direct_avx512.cpp, AVX2+FMA in
// conv_direct_avx2.cpp, Winograd F(2x2,3x3) in conv_winograd_avx2.cpp; which one runs is the
// implementation list's choice, conv_dispatch.cpp) and backward data as a forward of the
// flipped filter bank.
#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv_direct.hpp"
#include "kernels/conv_kernels.hpp"

namespace physcnn::kernels {

namespace direct {

void sum_partials(const float* part, int64_t chunks, int64_t lanes, int64_t WN, int64_t OC,
                  float* dw, float* db) {
  const int64_t per_chunk = WN * lanes + OC;
  for (int64_t i = 0; i < WN; ++i) {
    float s = 0.0f;
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t l = 0; l < lanes; ++l) s += part[c * per_chunk + i * lanes + l];
    dw[i] = s;
  }
  if (db)
    for (int64_t oc = 0; oc < OC; ++oc) {
      float s = 0.0f;
      for (int64_t c = 0; c < chunks; ++c) s += part[c * per_chunk + WN * lanes + oc];
      db[oc] = s;
    }
}

std::vector<std::array<int64_t, 2>> channel_blocks(int64_t channels, int64_t max_block) {
  const int64_t nb = (channels + max_block - 1) / max_block;
  std::vector<std::array<int64_t, 2>> blocks;
  for (int64_t i = 0, c0 = 0; i < nb; ++i) {
    const int64_t c1 = channels * (i + 1) / nb;
    blocks.push_back({c0, c1 - c0});
    c0 = c1;
  }
  return blocks;
}

}  // namespace direct

namespace {

void forward(DirectKernel k, const Conv2dDesc& d, const float* x, const float* w, const float* b,
             float* y, bool relu) {
  switch (k) {
    case DirectKernel::Avx512:
      return direct::forward_avx512(d, x, w, b, y, relu);
    case DirectKernel::Avx2:
      return direct::forward_avx2(d, x, w, b, y, relu);
    case DirectKernel::WinogradAvx2:
      return direct::forward_winograd_avx2(d, x, w, b, y, relu);
  }
}

}  // namespace

void conv2d_forward_direct(DirectKernel k, const Conv2dDesc& d, const float* x, const float* w,
                           const float* b, float* y, bool relu) {
  forward(k, d, x, w, b, y, relu);
}

// The data gradient is the forward convolution of dy with the flipped, transposed filter bank
// wt[ic, oc, KH-1-kh, KW-1-kw] = w[oc, ic, kh, kw] and padding K-1-P on each side, whose output
// is exactly IH x IW (a padding wider than the kernel's reach becomes a negative one).
void conv2d_backward_data_direct(DirectKernel k, const Conv2dDesc& d, const float* dy,
                                 const float* w, float* dx) {
  Conv2dDesc t{.N = d.N,
               .IC = d.OC,
               .IH = d.OH,
               .IW = d.OW,
               .OC = d.IC,
               .KH = d.KH,
               .KW = d.KW,
               .PH = {d.KH - 1 - d.PH[0], d.KH - 1 - d.PH[1]},
               .PW = {d.KW - 1 - d.PW[0], d.KW - 1 - d.PW[1]}};
  conv2d_validate(t, "conv2d backward data (direct)");
  PHYSCNN_CHECK_SHAPE(t.OH == d.IH && t.OW == d.IW,
                      "conv2d backward data (direct): transposed geometry gives ", t.OH, "x", t.OW,
                      ", input is ", d.IH, "x", d.IW, " (", d.str(), ")");
  thread_local std::vector<float> wt;
  const int64_t K = d.KH * d.KW;
  wt.resize(size_t(d.OC * d.IC * K));
  for (int64_t oc = 0; oc < d.OC; ++oc)
    for (int64_t ic = 0; ic < d.IC; ++ic)
      for (int64_t kk = 0; kk < K; ++kk)
        wt[size_t((ic * d.OC + oc) * K + (K - 1 - kk))] = w[(oc * d.IC + ic) * K + kk];
  forward(k, t, dy, wt.data(), nullptr, dx, false);
}

void conv2d_backward_weight_direct(DirectKernel k, const Conv2dDesc& d, const float* x,
                                   const float* dy, float* dw, float* db) {
  PHYSCNN_CHECK_ARG(k != DirectKernel::WinogradAvx2,
                    "conv2d backward weight (direct): Winograd has no weight gradient (", d.str(),
                    ")");
  if (k == DirectKernel::Avx512)
    direct::backward_weight_avx512(d, x, dy, dw, db);
  else
    direct::backward_weight_avx2(d, x, dy, dw, db);
}

}  // namespace physcnn::kernels

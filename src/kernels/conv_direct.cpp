// Direct NCHW convolution for few-channel layers (stride 1, dilation 1, groups 1, float32, any
// zero padding): the public entry points, the run-time choice of instruction set (AVX-512F in
// conv_direct_avx512.cpp, else AVX2+FMA in conv_direct_avx2.cpp, else none: other CPUs keep
// the im2col+sgemm and oneDNN paths) and backward data as a forward of the flipped filter bank.
#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv_direct.hpp"

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

std::atomic<DirectIsa> g_isa_limit{DirectIsa::Avx512};

DirectIsa cpu_isa() {
  static const DirectIsa isa = __builtin_cpu_supports("avx512f") ? DirectIsa::Avx512
                               : cpu_has_avx2_fma()              ? DirectIsa::Avx2
                                                                 : DirectIsa::None;
  return isa;
}

// Stride 1, dilation 1, groups 1 and the kernel width the weight gradient is built for.
DirectIsa check_direct(const Conv2dDesc& d, const char* op) {
  const DirectIsa isa = conv2d_direct_isa();
  PHYSCNN_CHECK_ARG(isa != DirectIsa::None, op,
                    ": needs AVX-512F or AVX2+FMA, which this CPU lacks or a test switched off (",
                    d.str(), ")");
  PHYSCNN_CHECK_ARG(d.SH == 1 && d.SW == 1 && d.DH == 1 && d.DW == 1 && d.G == 1, op,
                    ": only stride 1, dilation 1, groups 1 (", d.str(), ")");
  PHYSCNN_CHECK_ARG(d.KW <= direct::kMaxKW, op, ": kernel width ", d.KW, " > ", direct::kMaxKW,
                    " (", d.str(), ")");
  return isa;
}

void forward(DirectIsa isa, const Conv2dDesc& d, const float* x, const float* w, const float* b,
             float* y, bool relu) {
  if (isa == DirectIsa::Avx512)
    direct::forward_avx512(d, x, w, b, y, relu);
  else if (conv2d_direct_winograd(d))
    direct::forward_winograd_avx2(d, x, w, b, y, relu);
  else
    direct::forward_avx2(d, x, w, b, y, relu);
}

}  // namespace

DirectIsa conv2d_direct_isa() {
  return std::min(cpu_isa(), g_isa_limit.load());
}

// Measured with bench/conv_gflops at 1 thread on Zen 3 (bench/NOTES.md "wino2"), GFLOP/s
// direct -> Winograd: W5 10->10 @62 forward 60-62 -> 71-78, backward data 51-53 -> 67-71; @30
// and @28 forward 54-59 -> 63-69, backward data 43-46 -> 60-66. With one input channel it loses
// (W3/W4 1->16 forward 35-39 -> 22-25): a 1-deep product per position cannot pay for the
// transforms. Between 1 and 10 input channels not measured; 8 is the conservative line. Not on
// AVX-512, whose direct kernels run at 85-95 % of peak (Winograd not measured there).
bool conv2d_direct_winograd(const Conv2dDesc& d) {
  return fast_paths().winograd && conv2d_direct_isa() == DirectIsa::Avx2 && d.IC >= 8 &&
         d.KH == 3 && d.KW == 3 && d.SH == 1 && d.SW == 1 && d.DH == 1 && d.DW == 1 && d.G == 1;
}

bool conv2d_direct_available() {
  return conv2d_direct_isa() != DirectIsa::None;
}

void conv2d_direct_limit_isa(DirectIsa limit) {
  g_isa_limit = limit;
}

void conv2d_forward_direct(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, bool relu) {
  forward(check_direct(d, "conv2d forward (direct)"), d, x, w, b, y, relu);
}

// The data gradient is the forward convolution of dy with the flipped, transposed filter bank
// wt[ic, oc, KH-1-kh, KW-1-kw] = w[oc, ic, kh, kw] and padding K-1-P on each side, whose output
// is exactly IH x IW (a padding wider than the kernel's reach becomes a negative one).
void conv2d_backward_data_direct(const Conv2dDesc& d, const float* dy, const float* w, float* dx) {
  const DirectIsa isa = check_direct(d, "conv2d backward data (direct)");
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
      for (int64_t k = 0; k < K; ++k)
        wt[size_t((ic * d.OC + oc) * K + (K - 1 - k))] = w[(oc * d.IC + ic) * K + k];
  forward(isa, t, dy, wt.data(), nullptr, dx, false);
}

void conv2d_backward_weight_direct(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                   float* db) {
  if (check_direct(d, "conv2d backward weight (direct)") == DirectIsa::Avx512)
    direct::backward_weight_avx512(d, x, dy, dw, db);
  else
    direct::backward_weight_avx2(d, x, dy, dw, db);
}

}  // namespace physcnn::kernels

// Convolution gradients as im2col + GEMM per image, for the few-channel layers where oneDNN's
// backward primitives run at 10-40 GFLOP/s (W5's 10->10 convolutions at 62x62: backward
// weights 15 GFLOP/s against 77 forward, bench/NOTES.md "convspeed"). The long reduction over
// the pixels of an image becomes the K dimension of one sgemm, which oneDNN runs near peak.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm.hpp"

namespace physcnn::kernels {

namespace {

// Scratch reused across calls (one per thread): a training step then allocates nothing here.
std::vector<float>& scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

// x one image (IC,IH,IW) -> cols (IC*KH*KW, OH*OW): cols[(ic,kh,kw), (oh,ow)] =
// x[ic, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW], zero outside.
void im2col(const Conv2dDesc& d, const float* x, float* cols) {
  const int64_t P = d.OH * d.OW;
  for (int64_t ic = 0; ic < d.IC; ++ic)
    for (int64_t kh = 0; kh < d.KH; ++kh)
      for (int64_t kw = 0; kw < d.KW; ++kw) {
        float* row = cols + ((ic * d.KH + kh) * d.KW + kw) * P;
        const int64_t w0 = kw * d.DW - d.PW[0];
        // Output columns whose input column lies inside [0, IW): ow in [lo, hi).
        const int64_t lo = std::clamp<int64_t>((-w0 + d.SW - 1) / d.SW, 0, d.OW);
        const int64_t hi =
            std::clamp<int64_t>(w0 >= d.IW ? 0 : (d.IW - w0 + d.SW - 1) / d.SW, lo, d.OW);
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          float* r = row + oh * d.OW;
          const int64_t ih = oh * d.SH - d.PH[0] + kh * d.DH;
          if (ih < 0 || ih >= d.IH) {
            std::fill(r, r + d.OW, 0.0f);
            continue;
          }
          const float* xr = x + (ic * d.IH + ih) * d.IW;
          std::fill(r, r + lo, 0.0f);
          if (d.SW == 1)
            std::memcpy(r + lo, xr + lo + w0, sizeof(float) * size_t(hi - lo));
          else
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * d.SW + w0];
          std::fill(r + hi, r + d.OW, 0.0f);
        }
      }
}

// The adjoint of im2col: dx (IC,IH,IW) = sum of cols scattered back (dx zeroed first).
void col2im(const Conv2dDesc& d, const float* cols, float* dx) {
  const int64_t P = d.OH * d.OW;
  std::fill(dx, dx + d.IC * d.IH * d.IW, 0.0f);
  for (int64_t ic = 0; ic < d.IC; ++ic)
    for (int64_t kh = 0; kh < d.KH; ++kh)
      for (int64_t kw = 0; kw < d.KW; ++kw) {
        const float* row = cols + ((ic * d.KH + kh) * d.KW + kw) * P;
        const int64_t w0 = kw * d.DW - d.PW[0];
        const int64_t lo = std::clamp<int64_t>((-w0 + d.SW - 1) / d.SW, 0, d.OW);
        const int64_t hi =
            std::clamp<int64_t>(w0 >= d.IW ? 0 : (d.IW - w0 + d.SW - 1) / d.SW, lo, d.OW);
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const int64_t ih = oh * d.SH - d.PH[0] + kh * d.DH;
          if (ih < 0 || ih >= d.IH) continue;
          const float* r = row + oh * d.OW;
          float* xr = dx + (ic * d.IH + ih) * d.IW;
          for (int64_t ow = lo; ow < hi; ++ow) xr[ow * d.SW + w0] += r[ow];
        }
      }
}

// Images split into one contiguous range per thread; f(chunk, first, last).
template <class F>
void over_images(int64_t N, int64_t chunks, F&& f) {
  parallel_for(0, chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) f(c, N * c / chunks, N * (c + 1) / chunks);
  });
}

}  // namespace

// Measured with bench/conv_gflops at 1 thread (bench/NOTES.md "convspeed"): oneDNN 2.6 blocks
// channels by 16 (AVX-512) or 8 (AVX2); when neither channel count is a multiple of 16 it
// pads, or falls back to its AVX2 backward-weights kernel, and runs at 10-50 GFLOP/s, where
// im2col + sgemm reaches 40-60 (W5 10->10 at 62x62: 13-20 ms -> 5 ms). With 1-4 input
// channels its backward-data runs at 4-14 GFLOP/s against 35-80 here, and its forward at
// 26-47 against 43-62 (W3 at batch 128: 1.45 -> 0.87 ms).
bool conv2d_gemm_preferred(const Conv2dDesc& d, ConvPass pass) {
  if (d.G != 1 || !fast_paths().conv_gemm) return false;
  const bool unaligned = d.IC % 16 != 0 && d.OC % 16 != 0;
  switch (pass) {
    case ConvPass::Forward:
      return d.IC <= 4;
    case ConvPass::BackwardData:
      return d.IC <= 4 || unaligned;
    case ConvPass::BackwardWeight:
      return d.IC >= 8 && unaligned;
  }
  return false;
}

// Measured with bench/conv_gflops at 1 thread. AVX-512 (bench/NOTES.md "direct"): with at most
// 16 channels on both sides and neither a multiple of 16 (oneDNN's padded-block case) the
// direct kernels beat oneDNN and im2col+sgemm in every pass (W5 10->10 @62: forward 89 -> 121,
// backward data 61 -> 119, backward weight 29-55 -> 78 GFLOP/s). With 1-4 input channels they
// also win forward and backward-weight up to 32 output channels (W2 1->32, W3/W4 1->16: 60-100
// against 20-58), but not backward data (one output channel per register block: 29-41 against
// gemm's 60-80). Where a side is a multiple of 16 and wider layers, oneDNN is 1.3-2.5x faster.
// AVX2 (Zen 3, bench/NOTES.md "avx2"; GFLOP/s on a shared machine, peak ~67): the same few-
// channel rule (W5 10->10 @62: forward 41-44 -> 44-49, backward data 34-37 -> 37-42, backward
// weight 26-28 -> 53-55), but the thin-input forward only up to 16 outputs (W2 1->32: direct
// 17-27 against 36 for oneDNN; W1 1->6, W3/W4 1->16: 20-39 against 14-27), and the weight
// gradient also with 16 channels and kernels up to 3 wide (W4 16->16: 61 against oneDNN's 51-53;
// W1 6->16 5x5 at 14: 13-17 against 32).
// AVX2 also takes wider 3x3 layers into the direct path for its Winograd F(2x2,3x3) forward
// (and backward data, a forward of the flipped bank) where rows are at least 24 outputs wide:
// W4 16->16 @64 forward 61 -> 100, backward data 72 -> 98; 32->32 @32 84 -> 115, 89 -> 116
// GFLOP/s (oneDNN -> Winograd, bench/NOTES.md "wino2"). Narrower rows lose (one vector of 8
// tiles per row: W4 32->64 @16 backward data 93 -> 74, W3 16->32 @18 forward 78 -> 63).
// Channels from 8 to 64 on both sides: measured there (the product per tile position runs over
// the input channels); wider layers stay with oneDNN until someone measures them.
namespace {
bool wide_winograd(const Conv2dDesc& d, ConvPass pass) {
  const bool data = pass == ConvPass::BackwardData;
  const int64_t in_channels = data ? d.OC : d.IC, out_channels = data ? d.IC : d.OC;
  const int64_t out_width = data ? d.IW : d.OW;
  return pass != ConvPass::BackwardWeight && conv2d_direct_isa() == DirectIsa::Avx2 &&
         fast_paths().winograd && d.KH == 3 && d.KW == 3 && in_channels >= 8 && out_channels >= 8 &&
         in_channels <= 64 && out_channels <= 64 && out_width >= 24;
}
}  // namespace

bool conv2d_direct_preferred(const Conv2dDesc& d, ConvPass pass) {
  if (!fast_paths().conv_direct || !conv2d_direct_available()) return false;
  if (d.G != 1 || d.SH != 1 || d.SW != 1 || d.DH != 1 || d.DW != 1 || d.KW > 5) return false;
  const bool avx2 = conv2d_direct_isa() == DirectIsa::Avx2;
  const bool few = d.IC <= 16 && d.OC <= 16 && d.IC % 16 != 0 && d.OC % 16 != 0;
  const bool thin_input = d.IC <= 4 && d.OC <= 32;
  switch (pass) {
    case ConvPass::Forward:
      return few || (thin_input && (!avx2 || d.OC <= 16)) || wide_winograd(d, pass);
    case ConvPass::BackwardWeight:
      return few || thin_input || (avx2 && d.IC <= 16 && d.OC <= 16 && d.KW <= 3);
    case ConvPass::BackwardData:
      return (few && d.IC >= 3) || wide_winograd(d, pass);
  }
  return false;
}

// x (N,IC,IH,IW), w (OC,IC,KH,KW), b (OC) or null -> y (N,OC,OH,OW), with ReLU if `relu`;
// groups == 1. Per image: y_n (OC, P) = w (OC, IC*KH*KW) * cols_n + b.
void conv2d_forward_gemm(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                         float* y, bool relu) {
  const int64_t P = d.OH * d.OW, CK = d.IC * d.KH * d.KW;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(d.N, num_threads()));
  over_images(d.N, chunks, [&](int64_t, int64_t first, int64_t last) {
    float* cols = scratch(size_t(CK * P)).data();
    for (int64_t n = first; n < last; ++n) {
      float* yn = y + n * d.OC * P;
      im2col(d, x + n * d.IC * d.IH * d.IW, cols);
      for (int64_t oc = 0; oc < d.OC; ++oc)
        std::fill(yn + oc * P, yn + (oc + 1) * P, b ? b[oc] : 0.0f);
      gemm<float>(false, false, d.OC, P, CK, 1.0f, w, CK, cols, P, 1.0f, yn, P);
      if (relu)
        for (int64_t i = 0; i < d.OC * P; ++i) yn[i] = std::max(yn[i], 0.0f);
    }
  });
}

// x (N,IC,IH,IW), dy (N,OC,OH,OW) -> dw (OC,IC,KH,KW), db (OC) or null; groups == 1.
// Per image: dw += dy_n (OC, P) * cols_n^T (P, IC*KH*KW); one partial sum per thread.
void conv2d_backward_weight_gemm(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                 float* db) {
  const int64_t P = d.OH * d.OW, CK = d.IC * d.KH * d.KW, WN = d.OC * CK;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(d.N, num_threads()));
  std::vector<float> partial(size_t(chunks * (WN + d.OC)), 0.0f);
  over_images(d.N, chunks, [&](int64_t c, int64_t first, int64_t last) {
    float* cols = scratch(size_t(CK * P)).data();
    float* pw = partial.data() + c * (WN + d.OC);
    float* pb = pw + WN;
    for (int64_t n = first; n < last; ++n) {
      const float* dyn = dy + n * d.OC * P;
      im2col(d, x + n * d.IC * d.IH * d.IW, cols);
      gemm<float>(false, true, d.OC, CK, P, 1.0f, dyn, P, cols, P, 1.0f, pw, CK);
      if (db)
        for (int64_t oc = 0; oc < d.OC; ++oc) {
          float s = 0.0f;
          for (int64_t p = 0; p < P; ++p) s += dyn[oc * P + p];
          pb[oc] += s;
        }
    }
  });
  std::copy(partial.begin(), partial.begin() + WN, dw);
  if (db) std::copy(partial.begin() + WN, partial.begin() + WN + d.OC, db);
  for (int64_t c = 1; c < chunks; ++c) {
    const float* pw = partial.data() + c * (WN + d.OC);
    for (int64_t i = 0; i < WN; ++i) dw[i] += pw[i];
    if (db)
      for (int64_t oc = 0; oc < d.OC; ++oc) db[oc] += pw[WN + oc];
  }
}

// dy (N,OC,OH,OW), w (OC,IC,KH,KW) -> dx (N,IC,IH,IW); groups == 1.
// Per image: cols = w^T (IC*KH*KW, OC) * dy_n (OC, P), then col2im.
void conv2d_backward_data_gemm(const Conv2dDesc& d, const float* dy, const float* w, float* dx) {
  const int64_t P = d.OH * d.OW, CK = d.IC * d.KH * d.KW;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(d.N, num_threads()));
  over_images(d.N, chunks, [&](int64_t, int64_t first, int64_t last) {
    float* cols = scratch(size_t(CK * P)).data();
    for (int64_t n = first; n < last; ++n) {
      gemm<float>(true, false, CK, P, d.OC, 1.0f, w, CK, dy + n * d.OC * P, P, 0.0f, cols, P);
      col2im(d, cols, dx + n * d.IC * d.IH * d.IW);
    }
  });
}

}  // namespace physcnn::kernels

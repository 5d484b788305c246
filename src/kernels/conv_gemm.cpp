// Convolution gradients as im2col + GEMM per image, for the few-channel layers where oneDNN's
// backward primitives run at 10-40 GFLOP/s (W5's 10->10 convolutions at 62x62: backward
// weights 15 GFLOP/s against 77 forward, bench/NOTES.md "convspeed"). The long reduction over
// the pixels of an image becomes the K dimension of one sgemm, which oneDNN runs near peak.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv_kernels.hpp"
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

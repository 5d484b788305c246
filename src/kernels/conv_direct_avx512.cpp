// Direct NCHW convolution for few-channel layers, AVX-512 version (conv_direct.hpp): output
// rows in 16-lane vectors (masked tails; padding by masked, zero-filling loads) with a block of
// output channels held in registers. Compiled per function for AVX-512F, called only on CPUs
// that have it (conv_direct.cpp chooses the ISA at run time).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/conv_direct.hpp"

#define PHYSCNN_AVX512 __attribute__((target("avx512f")))

namespace physcnn::kernels::direct {

namespace {

constexpr int64_t kLanes = 16;
constexpr int kMaxVec = 4;    // vectors per output-row chunk of the forward: 64 columns
constexpr int kMaxBlock = 8;  // output channels per register block

// Lanes [lo, hi) of a 16-lane mask, clamped to [0, 16); an empty range gives 0.
__mmask16 lane_range(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0);
  hi = std::min<int64_t>(hi, kLanes);
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << (hi - lo)) - 1u) << lo);
}

// ---- forward: y (N,OC,OH,OW) = conv(x (N,IC,IH,IW), w (OC,IC,KH,KW)) + b, optional ReLU --------

// One output row chunk (up to 64 columns) of a block of output channels.
struct RowJob {
  const float* x;  // this image's input (IC,IH,IW)
  const float* w;  // weights of the block's first output channel, (IC,KH,KW) each
  const float* b;  // bias of the block's first output channel, or null
  float* y;        // output at (oc0, oh, ow0); channels OH*OW apart
  int64_t IC, IH, IW, KH, KW;
  int64_t ih0;            // oh - PH[0]: the input row under the kernel's first row
  int64_t xoff;           // ow0 - PW[0]: the input column under the chunk's first column
  int64_t w_stride;       // IC*KH*KW
  int64_t y_stride;       // OH*OW
  const __mmask16* mask;  // [KW][V] lanes whose input column lies inside the row
  __mmask16 tail;         // valid lanes of the chunk's last vector
  bool relu;
};

// acc[o][v] += x[ic, ih0+kh, xoff+kw+16v+lane] * w[o, ic, kh, kw] over (ic, kh, kw): each input
// vector is loaded once and used OCB times; each weight is broadcast once and used V times.
// Without kEdges every input mask equals the output mask (no padding reaches this chunk):
// plain loads and one loop-invariant tail mask, since reading a mask from memory into a k
// register costs a port-5 uop, which Sapphire Rapids shares with its second FMA unit.
template <int OCB, int V, bool kEdges>
PHYSCNN_AVX512 void forward_chunk(const RowJob& j) {
  __m512 acc[OCB][V];
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o) {
    const __m512 bias = _mm512_set1_ps(j.b ? j.b[o] : 0.0f);
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) acc[o][v] = bias;
  }
  const __mmask16 tail = j.tail;
  const int64_t kh_lo = std::max<int64_t>(0, -j.ih0);
  const int64_t kh_hi = std::min<int64_t>(j.KH, j.IH - j.ih0);
  for (int64_t ic = 0; ic < j.IC; ++ic)
    for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
      // May point before the row (left padding): those lanes are masked and never touched.
      const float* xr = j.x + (ic * j.IH + j.ih0 + kh) * j.IW + j.xoff;
      const float* wr = j.w + (ic * j.KH + kh) * j.KW;
      for (int64_t kw = 0; kw < j.KW; ++kw) {
        __m512 xv[V];
#pragma GCC unroll 16
        for (int v = 0; v < V; ++v) {
          const float* p = xr + kw + kLanes * v;
          if constexpr (kEdges)
            xv[v] = _mm512_maskz_loadu_ps(j.mask[kw * V + v], p);
          else
            xv[v] = v + 1 < V ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(tail, p);
        }
#pragma GCC unroll 16
        for (int o = 0; o < OCB; ++o) {
          const __m512 wv = _mm512_set1_ps(wr[o * j.w_stride + kw]);
#pragma GCC unroll 16
          for (int v = 0; v < V; ++v) acc[o][v] = _mm512_fmadd_ps(xv[v], wv, acc[o][v]);
        }
      }
    }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      // maskz form: GCC 12 warns on the undefined pass-through of _mm512_max_ps.
      const __m512 r = j.relu ? _mm512_maskz_max_ps(0xFFFF, acc[o][v], zero) : acc[o][v];
      float* p = j.y + o * j.y_stride + kLanes * v;
      if (v + 1 < V)
        _mm512_storeu_ps(p, r);
      else
        _mm512_mask_storeu_ps(p, tail, r);
    }
}

using ForwardFn = void (*)(const RowJob&);
template <int OCB, bool kEdges>
constexpr std::array<ForwardFn, kMaxVec> forward_row() {
  return {&forward_chunk<OCB, 1, kEdges>, &forward_chunk<OCB, 2, kEdges>,
          &forward_chunk<OCB, 3, kEdges>, &forward_chunk<OCB, 4, kEdges>};
}
template <bool kEdges>
constexpr std::array<std::array<ForwardFn, kMaxVec>, kMaxBlock> forward_table() {
  return {forward_row<1, kEdges>(), forward_row<2, kEdges>(), forward_row<3, kEdges>(),
          forward_row<4, kEdges>(), forward_row<5, kEdges>(), forward_row<6, kEdges>(),
          forward_row<7, kEdges>(), forward_row<8, kEdges>()};
}
// [edges][OCB-1][V-1]
constexpr std::array<std::array<std::array<ForwardFn, kMaxVec>, kMaxBlock>, 2> kForward = {
    forward_table<false>(), forward_table<true>()};

// Register budget (32 zmm): OCB*V accumulators plus V input vectors and a broadcast weight.
int64_t forward_max_block(int64_t vectors) {
  return vectors >= 4 ? 6 : kMaxBlock;
}

// ---- weight gradient: dw (OC,IC,KH,KW) = sum over n, oh, ow of dy * shifted x ---------------

// Output rows [oh_lo, oh_hi) of one image for a block of OCB output channels, one input channel
// and R consecutive kernel rows kh..kh+R-1 (all inside the input for these output rows):
// acc[o][r*KW + kw] += dy[o, oh, ow] * x[ic, oh - PH + kh + r, ow - PW + kw], one vector of 16
// columns at a time; the lane-wise sums are added into `acc_out` (reduced at the end). Two
// kernel rows share each dy vector: 6 x + 4 dy loads per 24 FMAs instead of 3 + 5 per 15.
struct WeightJob {
  const float* x;   // input channel ic of this image (IH,IW)
  const float* dy;  // dy of the block's first output channel; channels OH*OW apart
  float* acc_out;   // 16-lane partial sums at (oc0, ic, kh, 0); channels acc_stride apart
  int64_t IW, OH, OW, PH, PW, kh;
  int64_t oh_lo, oh_hi;
  int64_t acc_stride;      // IC*KH*KW*16
  const __mmask16* xmask;  // [nvec][KW] input lanes inside the row (and inside OW)
  const __mmask16* ymask;  // [nvec] lanes inside OW
  int64_t nvec;
};

// One vector of 16 columns of R input rows IW apart. Input lanes from xmask[k], dy lanes from
// ymask; kMasked false loads all 16 lanes (interior vectors, no mask register).
template <int OCB, int KW, int R, bool kMasked>
PHYSCNN_AVX512 __attribute__((always_inline)) inline void weight_vector(
    __m512 (&acc)[OCB][R * KW], const float* xr, int64_t IW, const float* yr, int64_t y_stride,
    const __mmask16* xmask, __mmask16 ymask) {
  __m512 xv[R * KW];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int k = 0; k < KW; ++k)
      xv[r * KW + k] = kMasked ? _mm512_maskz_loadu_ps(xmask[k], xr + r * IW + k)
                               : _mm512_loadu_ps(xr + r * IW + k);
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o) {
    __m512 g = kMasked ? _mm512_maskz_loadu_ps(ymask, yr + o * y_stride)
                       : _mm512_loadu_ps(yr + o * y_stride);
    // Keep g in a register: GCC otherwise folds the load into each of the KW FMAs (KW loads
    // instead of one; 10->10 @62 ran at 60 instead of 78 GFLOP/s).
    __asm__("" : "+v"(g));
#pragma GCC unroll 16
    for (int k = 0; k < R * KW; ++k) acc[o][k] = _mm512_fmadd_ps(g, xv[k], acc[o][k]);
  }
}

// Without kEdges no padding reaches a column (every input mask equals its dy mask): the
// vectors before the last load without masks (see forward_chunk on mask registers).
template <int OCB, int KW, int R, bool kEdges>
PHYSCNN_AVX512 void weight_rows(const WeightJob& j) {
  __m512 acc[OCB][R * KW];
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int k = 0; k < R * KW; ++k) acc[o][k] = _mm512_setzero_ps();
  const int64_t y_stride = j.OH * j.OW, last = j.nvec - 1;
  const __mmask16 tail = j.ymask[last];
  __mmask16 tail_x[KW];
#pragma GCC unroll 16
  for (int k = 0; k < KW; ++k) tail_x[k] = tail;
  for (int64_t oh = j.oh_lo; oh < j.oh_hi; ++oh) {
    const float* xr = j.x + (oh - j.PH + j.kh) * j.IW - j.PW;
    const float* yr = j.dy + oh * j.OW;
    if constexpr (kEdges) {
      for (int64_t v = 0; v <= last; ++v)
        weight_vector<OCB, KW, R, true>(acc, xr + kLanes * v, j.IW, yr + kLanes * v, y_stride,
                                        j.xmask + v * KW, j.ymask[v]);
    } else {
      for (int64_t v = 0; v < last; ++v)
        weight_vector<OCB, KW, R, false>(acc, xr + kLanes * v, j.IW, yr + kLanes * v, y_stride,
                                         nullptr, 0);
      weight_vector<OCB, KW, R, true>(acc, xr + kLanes * last, j.IW, yr + kLanes * last, y_stride,
                                      tail_x, tail);
    }
  }
  // Kernel rows kh..kh+R-1 are adjacent in the (kh, kw, lane) layout of the partial sums.
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int k = 0; k < R * KW; ++k) {
      float* p = j.acc_out + o * j.acc_stride + kLanes * k;
      _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[o][k]));
    }
}

// OCB*R*KW accumulators plus R*KW input vectors and one dy vector in 32 zmm registers.
constexpr int weight_max_block(int KW, int R) {
  return std::min(kMaxBlock, 24 / (R * KW));
}

using WeightFn = void (*)(const WeightJob&);
template <int OCB, int KW, int R, bool kEdges>
constexpr WeightFn weight_fn() {
  if constexpr (OCB <= weight_max_block(KW, R))
    return &weight_rows<OCB, KW, R, kEdges>;
  else
    return nullptr;  // never chosen: more accumulators than registers
}
template <int OCB, int R, bool kEdges>
constexpr std::array<WeightFn, kMaxKW> weight_row() {
  return {weight_fn<OCB, 1, R, kEdges>(), weight_fn<OCB, 2, R, kEdges>(),
          weight_fn<OCB, 3, R, kEdges>(), weight_fn<OCB, 4, R, kEdges>(),
          weight_fn<OCB, 5, R, kEdges>()};
}
template <int R, bool kEdges>
constexpr std::array<std::array<WeightFn, kMaxKW>, kMaxBlock> weight_table() {
  return {weight_row<1, R, kEdges>(), weight_row<2, R, kEdges>(), weight_row<3, R, kEdges>(),
          weight_row<4, R, kEdges>(), weight_row<5, R, kEdges>(), weight_row<6, R, kEdges>(),
          weight_row<7, R, kEdges>(), weight_row<8, R, kEdges>()};
}
// [R-1][edges][OCB-1][KW-1]
using WeightTable = std::array<std::array<std::array<WeightFn, kMaxKW>, kMaxBlock>, 2>;
constexpr std::array<WeightTable, 2> kWeight = {
    WeightTable{weight_table<1, false>(), weight_table<1, true>()},
    WeightTable{weight_table<2, false>(), weight_table<2, true>()}};

// sum of p[0..n) in 16 lanes.
PHYSCNN_AVX512 float sum_avx512(const float* p, int64_t n) {
  __m512 s = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) s = _mm512_add_ps(s, _mm512_loadu_ps(p + i));
  s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(lane_range(0, n - i), p + i));
  // Not _mm512_reduce_add_ps: GCC 12 warns on its undefined intermediate (-Werror).
  float lanes[kLanes];
  _mm512_storeu_ps(lanes, s);
  float total = 0.0f;
  for (float l : lanes) total += l;
  return total;
}

}  // namespace

void forward_avx512(const Conv2dDesc& d, const float* x, const float* w, const float* b, float* y,
                    bool relu) {
  // Column chunks of <= 64 outputs, with their input masks ([kw][V] per chunk), shared by every
  // row.
  const int64_t chunk_cols = kLanes * kMaxVec;
  const int64_t nchunks = (d.OW + chunk_cols - 1) / chunk_cols;
  std::vector<__mmask16> masks(static_cast<size_t>(nchunks * d.KW * kMaxVec));
  std::vector<__mmask16> tails(static_cast<size_t>(nchunks));
  std::vector<int> vecs(static_cast<size_t>(nchunks));
  std::vector<int> edges(static_cast<size_t>(nchunks), 0);  // 1: some input mask != output mask
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t ow0 = c * chunk_cols, cw = std::min(chunk_cols, d.OW - ow0);
    const int64_t V = (cw + kLanes - 1) / kLanes;
    vecs[c] = int(V);
    tails[c] = lane_range(0, cw - kLanes * (V - 1));
    for (int64_t kw = 0; kw < d.KW; ++kw)
      for (int64_t v = 0; v < V; ++v) {
        const int64_t col0 = ow0 + kLanes * v - d.PW[0] + kw;  // input column of lane 0
        const __mmask16 out = lane_range(0, cw - kLanes * v);
        const __mmask16 in = lane_range(-col0, d.IW - col0) & out;
        masks[size_t(c * d.KW * kMaxVec + kw * V + v)] = in;
        if (in != out) edges[c] = 1;
      }
  }
  const auto blocks = channel_blocks(d.OC, forward_max_block(std::min<int64_t>(kMaxVec, vecs[0])));
  const int64_t w_stride = d.IC * d.KH * d.KW, y_stride = d.OH * d.OW;
  // Rows of all images as one range: batch 1 still uses every thread.
  const int64_t row_flops = 2 * d.OC * w_stride * d.OW;
  const int64_t grain = std::max<int64_t>(1, 200000 / std::max<int64_t>(row_flops, 1));
  parallel_for(0, d.N * d.OH, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t n = r / d.OH, oh = r % d.OH;
      RowJob j{.x = x + n * d.IC * d.IH * d.IW,
               .w = nullptr,
               .b = nullptr,
               .y = nullptr,
               .IC = d.IC,
               .IH = d.IH,
               .IW = d.IW,
               .KH = d.KH,
               .KW = d.KW,
               .ih0 = oh - d.PH[0],
               .xoff = 0,
               .w_stride = w_stride,
               .y_stride = y_stride,
               .mask = nullptr,
               .tail = 0,
               .relu = relu};
      for (const auto& [oc0, ocb] : blocks)
        for (int64_t c = 0; c < nchunks; ++c) {
          const int64_t ow0 = c * chunk_cols;
          j.w = w + oc0 * w_stride;
          j.b = b ? b + oc0 : nullptr;
          j.y = y + (n * d.OC + oc0) * y_stride + oh * d.OW + ow0;
          j.xoff = ow0 - d.PW[0];
          j.mask = masks.data() + c * d.KW * kMaxVec;
          j.tail = tails[c];
          kForward[size_t(edges[c])][size_t(ocb - 1)][size_t(vecs[c] - 1)](j);
        }
    }
  });
}

void backward_weight_avx512(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                            float* db) {
  const int64_t nvec = (d.OW + kLanes - 1) / kLanes;
  std::vector<__mmask16> xmask(static_cast<size_t>(nvec * d.KW)), ymask(static_cast<size_t>(nvec));
  int edges = 0;  // 1: padding reaches some column (an input mask differs from its dy mask)
  for (int64_t v = 0; v < nvec; ++v) {
    ymask[v] = lane_range(0, d.OW - kLanes * v);
    for (int64_t kw = 0; kw < d.KW; ++kw) {
      const int64_t col0 = kLanes * v - d.PW[0] + kw;
      xmask[size_t(v * d.KW + kw)] = lane_range(-col0, d.IW - col0) & ymask[v];
      if (xmask[size_t(v * d.KW + kw)] != ymask[v]) edges = 1;
    }
  }
  // Kernel rows in pairs (R = 2) over the output rows where both lie inside the input; single
  // rows (R = 1) for the rest and for an odd last row.
  const auto blocks1 = channel_blocks(d.OC, weight_max_block(int(d.KW), 1));
  const auto blocks2 = channel_blocks(d.OC, weight_max_block(int(d.KW), 2));
  const int64_t WN = d.OC * d.IC * d.KH * d.KW, acc_stride = d.IC * d.KH * d.KW * kLanes;
  const int64_t y_stride = d.OH * d.OW, x_stride = d.IH * d.IW;
  // Output rows whose kernel row k lies inside the input: [row_lo(k), row_hi(k)).
  const auto row_lo = [&](int64_t k) { return std::max<int64_t>(0, d.PH[0] - k); };
  const auto row_hi = [&](int64_t k) { return std::min<int64_t>(d.OH, d.IH + d.PH[0] - k); };
  // One partial sum (16 lanes per weight, one float per bias) per thread, summed at the end.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(d.N, num_threads()));
  const int64_t per_chunk = WN * kLanes + d.OC;
  thread_local std::vector<float> partial;
  partial.assign(size_t(chunks * per_chunk), 0.0f);
  float* part = partial.data();
  parallel_for(0, chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      float* pw = part + c * per_chunk;
      float* pb = pw + WN * kLanes;
      for (int64_t n = d.N * c / chunks; n < d.N * (c + 1) / chunks; ++n) {
        const float* dyn = dy + n * d.OC * y_stride;
        const auto run = [&](int R, const std::vector<std::array<int64_t, 2>>& blocks, int64_t kh,
                             int64_t oh_lo, int64_t oh_hi) {
          if (oh_lo >= oh_hi) return;
          for (const auto& [oc0, ocb] : blocks)
            for (int64_t ic = 0; ic < d.IC; ++ic) {
              const WeightJob j{.x = x + (n * d.IC + ic) * x_stride,
                                .dy = dyn + oc0 * y_stride,
                                .acc_out = pw + ((oc0 * d.IC + ic) * d.KH + kh) * d.KW * kLanes,
                                .IW = d.IW,
                                .OH = d.OH,
                                .OW = d.OW,
                                .PH = d.PH[0],
                                .PW = d.PW[0],
                                .kh = kh,
                                .oh_lo = oh_lo,
                                .oh_hi = oh_hi,
                                .acc_stride = acc_stride,
                                .xmask = xmask.data(),
                                .ymask = ymask.data(),
                                .nvec = nvec};
              kWeight[size_t(R - 1)][size_t(edges)][size_t(ocb - 1)][size_t(d.KW - 1)](j);
            }
        };
        for (int64_t kh = 0; kh < d.KH;) {
          if (kh + 1 < d.KH && row_lo(kh) < row_hi(kh + 1)) {
            // row_lo(kh) >= row_lo(kh+1) and row_hi(kh+1) <= row_hi(kh): the pair's rows, then
            // the rows only one of the two kernel rows reaches.
            run(2, blocks2, kh, row_lo(kh), row_hi(kh + 1));
            run(1, blocks1, kh, row_hi(kh + 1), row_hi(kh));
            run(1, blocks1, kh + 1, row_lo(kh + 1), row_lo(kh));
            kh += 2;
          } else {
            run(1, blocks1, kh, row_lo(kh), row_hi(kh));
            kh += 1;
          }
        }
        if (db)
          for (int64_t oc = 0; oc < d.OC; ++oc) pb[oc] += sum_avx512(dyn + oc * y_stride, y_stride);
      }
    }
  });
  sum_partials(part, chunks, kLanes, WN, d.OC, dw, db);
}

}  // namespace physcnn::kernels::direct

// Direct NCHW convolution for few-channel layers, AVX2+FMA version (conv_direct.hpp): the
// AVX-512 design (conv_direct_avx512.cpp) in 8-lane vectors and 16 ymm registers, so smaller
// register blocks; masks are integer lane vectors (vmaskmovps) instead of k registers, and the
// forward reads its weights pre-broadcast. Compiled per function for AVX2+FMA, called only on
// CPUs that have them.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/conv_direct.hpp"

namespace physcnn::kernels::direct {

namespace {

constexpr int64_t kLanes = 8;
// Vectors per output-row chunk of the forward: 16 columns. With 4, 3 or 1 (and the largest
// block the registers hold: 2, 3, 8 channels) 10->10 @62 ran at 27-35 GFLOP/s, with 2 at 39-44
// (same-binary A/B, best of 10 in thread CPU time, 1 thread).
constexpr int kMaxVec = 2;
constexpr int kMaxBlock = 8;  // output channels per register block

// One 8-lane mask as vmaskmovps reads it: lane l is on when its int32 has the sign bit set.
using LaneMask = std::array<int32_t, kLanes>;

// Lanes [lo, hi) of an 8-lane mask, clamped to [0, 8); an empty range gives all lanes off.
LaneMask lane_range(int64_t lo, int64_t hi) {
  LaneMask m{};
  for (int64_t l = 0; l < kLanes; ++l) m[size_t(l)] = l >= lo && l < hi ? -1 : 0;
  return m;
}

PHYSCNN_AVX2 __attribute__((always_inline)) inline __m256i load_mask(const LaneMask& m) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.data()));
}

// ---- forward: y (N,OC,OH,OW) = conv(x (N,IC,IH,IW), w (OC,IC,KH,KW)) + b, optional ReLU --------

// One output row chunk (up to 16 columns) of a block of output channels.
struct RowJob {
  const float* x;  // this image's input (IC,IH,IW)
  const float* w;  // weights of the block's first output channel, (IC,KH,KW,8) each
  const float* b;  // bias of the block's first output channel, or null
  float* y;        // output at (oc0, oh, ow0); channels OH*OW apart
  int64_t IC, IH, IW, KH, KW;
  int64_t ih0;           // oh - PH[0]: the input row under the kernel's first row
  int64_t xoff;          // ow0 - PW[0]: the input column under the chunk's first column
  int64_t w_stride;      // IC*KH*KW*8
  int64_t y_stride;      // OH*OW
  const LaneMask* mask;  // [KW][V] lanes whose input column lies inside the row
  const LaneMask* tail;  // valid lanes of the chunk's last vector
  int64_t tail_lanes;    // their number, 1-8
  bool relu;
};

// How a chunk loads its input: Full, all V vectors whole and inside the row (plain loads);
// Tail, the last vector partly outside the output row (one loop-invariant mask register);
// Edges, padding reaches the chunk (every load masked, masks read from memory).
enum Mode { kFull, kTail, kEdges, kModes };

// acc[o][v] += x[ic, ih0+kh, xoff+kw+8v+lane] * w[o, ic, kh, kw] over (ic, kh, kw): each input
// vector is loaded once and used OCB times; each weight vector is loaded once and used V times.
// The weights come broadcast to 8 lanes in memory: a plain load instead of vbroadcastss, which
// ran 10->10 @62 at a median 20-21 instead of 34-35 GFLOP/s on Zen 3 (same-binary A/B; in an
// L1-resident case both ran alike, so the cause was not found).
template <int OCB, int V, Mode kMode>
PHYSCNN_AVX2 void forward_chunk(const RowJob& j) {
  __m256 acc[OCB][V];
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o) {
    const __m256 bias = _mm256_set1_ps(j.b ? j.b[o] : 0.0f);
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) acc[o][v] = bias;
  }
  const int64_t kh_lo = std::max<int64_t>(0, -j.ih0);
  const int64_t kh_hi = std::min<int64_t>(j.KH, j.IH - j.ih0);
  const __m256i tail = load_mask(*j.tail);
  for (int64_t ic = 0; ic < j.IC; ++ic)
    for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
      // May point before the row (left padding): those lanes are masked and never touched.
      const float* xr = j.x + (ic * j.IH + j.ih0 + kh) * j.IW + j.xoff;
      const float* wr = j.w + (ic * j.KH + kh) * j.KW * kLanes;
      for (int64_t kw = 0; kw < j.KW; ++kw) {
        __m256 xv[V];
#pragma GCC unroll 16
        for (int v = 0; v < V; ++v) {
          const float* p = xr + kw + kLanes * v;
          if constexpr (kMode == kEdges)
            xv[v] = _mm256_maskload_ps(p, load_mask(j.mask[kw * V + v]));
          else if (kMode == kTail && v + 1 == V)
            xv[v] = _mm256_maskload_ps(p, tail);
          else
            xv[v] = _mm256_loadu_ps(p);
        }
#pragma GCC unroll 16
        for (int o = 0; o < OCB; ++o) {
          __m256 wv = _mm256_load_ps(wr + o * j.w_stride + kw * kLanes);
          // One load per weight: GCC otherwise folds it into each of the V FMAs.
          __asm__("" : "+x"(wv));
#pragma GCC unroll 16
          for (int v = 0; v < V; ++v) acc[o][v] = _mm256_fmadd_ps(xv[v], wv, acc[o][v]);
        }
      }
    }
  const __m256 zero = _mm256_setzero_ps();
  // Locals: stores through float* could alias the job, which GCC would then reload each time.
  const bool relu = j.relu;
  float* const y = j.y;
  const int64_t y_stride = j.y_stride, tail_lanes = j.tail_lanes;
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      const __m256 r = relu ? _mm256_max_ps(acc[o][v], zero) : acc[o][v];
      float* p = y + o * y_stride + kLanes * v;
      if (kMode == kFull || v + 1 < V)
        _mm256_storeu_ps(p, r);
      else
        store_lanes(p, r, tail_lanes);
    }
}

using ForwardFn = void (*)(const RowJob&);
template <int OCB, Mode kMode>
constexpr std::array<ForwardFn, kMaxVec> forward_row() {
  return {&forward_chunk<OCB, 1, kMode>, &forward_chunk<OCB, 2, kMode>};
}
template <Mode kMode>
constexpr std::array<std::array<ForwardFn, kMaxVec>, kMaxBlock> forward_table() {
  return {forward_row<1, kMode>(), forward_row<2, kMode>(), forward_row<3, kMode>(),
          forward_row<4, kMode>(), forward_row<5, kMode>(), forward_row<6, kMode>(),
          forward_row<7, kMode>(), forward_row<8, kMode>()};
}
// [mode][OCB-1][V-1]
constexpr std::array<std::array<std::array<ForwardFn, kMaxVec>, kMaxBlock>, kModes> kForward = {
    forward_table<kFull>(), forward_table<kTail>(), forward_table<kEdges>()};

// Register budget (16 ymm): OCB*V accumulators plus V input vectors, a weight vector and the
// tail mask. Blocks of at most 4 channels ran 8-20 % slower on the W5 layers, of 3 26-36 %.
int64_t forward_max_block(int64_t vectors) {
  return vectors == 1 ? kMaxBlock : 5;
}

// ---- weight gradient: dw (OC,IC,KH,KW) = sum over n, oh, ow of dy * shifted x ---------------

// Output rows [oh_lo, oh_hi) of one image for a block of OCB output channels, one input channel
// and kernel row kh: acc[o][kw] += dy[o, oh, ow] * x[ic, oh - PH + kh, ow - PW + kw], one
// vector of 8 columns at a time; the lane-wise sums are added into `acc_out` (reduced at the
// end). Unlike the AVX-512 kernel, no kernel-row pairs: 16 registers hold one row's blocks.
struct WeightJob {
  const float* x;   // input channel ic of this image (IH,IW)
  const float* dy;  // dy of the block's first output channel; channels OH*OW apart
  float* acc_out;   // 8-lane partial sums at (oc0, ic, kh, 0); channels acc_stride apart
  int64_t IW, OH, OW, PH, PW, kh;
  int64_t oh_lo, oh_hi;
  int64_t acc_stride;     // IC*KH*KW*8
  const LaneMask* xmask;  // [nvec][KW] input lanes inside the row (and inside OW)
  const LaneMask* ymask;  // [nvec] lanes inside OW
  int64_t v_lo, v_hi;     // vectors [v_lo, v_hi) need no mask (no padding, no tail)
  int64_t nvec;
};

// One vector of 8 columns. kMasked: input lanes from xmask[k], dy lanes from ymask (zeros
// outside: every lane is summed in the end).
template <int OCB, int KW, bool kMasked>
PHYSCNN_AVX2 __attribute__((always_inline)) inline void weight_vector(
    __m256 (&acc)[OCB][KW], const float* xr, const float* yr, int64_t y_stride,
    const LaneMask* xmask, const LaneMask* ymask) {
  __m256 xv[KW];
#pragma GCC unroll 16
  for (int k = 0; k < KW; ++k)
    xv[k] = kMasked ? _mm256_maskload_ps(xr + k, load_mask(xmask[k])) : _mm256_loadu_ps(xr + k);
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o) {
    __m256 g = kMasked ? _mm256_maskload_ps(yr + o * y_stride, load_mask(*ymask))
                       : _mm256_loadu_ps(yr + o * y_stride);
    // Keep g in a register: GCC otherwise folds the load into each of the KW FMAs.
    __asm__("" : "+x"(g));
#pragma GCC unroll 16
    for (int k = 0; k < KW; ++k) acc[o][k] = _mm256_fmadd_ps(g, xv[k], acc[o][k]);
  }
}

template <int OCB, int KW>
PHYSCNN_AVX2 void weight_rows(const WeightJob& j) {
  __m256 acc[OCB][KW];
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int k = 0; k < KW; ++k) acc[o][k] = _mm256_setzero_ps();
  const int64_t y_stride = j.OH * j.OW;
  for (int64_t oh = j.oh_lo; oh < j.oh_hi; ++oh) {
    const float* xr = j.x + (oh - j.PH + j.kh) * j.IW - j.PW;
    const float* yr = j.dy + oh * j.OW;
    for (int64_t v = 0; v < j.v_lo; ++v)
      weight_vector<OCB, KW, true>(acc, xr + kLanes * v, yr + kLanes * v, y_stride,
                                   j.xmask + v * KW, j.ymask + v);
    for (int64_t v = j.v_lo; v < j.v_hi; ++v)
      weight_vector<OCB, KW, false>(acc, xr + kLanes * v, yr + kLanes * v, y_stride, nullptr,
                                    nullptr);
    for (int64_t v = j.v_hi; v < j.nvec; ++v)
      weight_vector<OCB, KW, true>(acc, xr + kLanes * v, yr + kLanes * v, y_stride,
                                   j.xmask + v * KW, j.ymask + v);
  }
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int k = 0; k < KW; ++k) {
      float* p = j.acc_out + o * j.acc_stride + kLanes * k;
      _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[o][k]));
    }
}

// OCB*KW accumulators plus KW input vectors and one dy vector in 16 ymm registers (3x3: 4
// channels; blocks of 3 ran 13-23 % slower on the W3-W5 layers, of 2 31-46 %).
constexpr int weight_max_block(int KW) {
  return std::min(kMaxBlock, (16 - KW - 1) / KW);
}

using WeightFn = void (*)(const WeightJob&);
template <int OCB, int KW>
constexpr WeightFn weight_fn() {
  if constexpr (OCB <= weight_max_block(KW))
    return &weight_rows<OCB, KW>;
  else
    return nullptr;  // never chosen: more accumulators than registers
}
template <int OCB>
constexpr std::array<WeightFn, kMaxKW> weight_row() {
  return {weight_fn<OCB, 1>(), weight_fn<OCB, 2>(), weight_fn<OCB, 3>(), weight_fn<OCB, 4>(),
          weight_fn<OCB, 5>()};
}
// [OCB-1][KW-1]
constexpr std::array<std::array<WeightFn, kMaxKW>, kMaxBlock> kWeight = {
    weight_row<1>(), weight_row<2>(), weight_row<3>(), weight_row<4>(),
    weight_row<5>(), weight_row<6>(), weight_row<7>(), weight_row<8>()};

// sum of p[0..n) in 8 lanes.
PHYSCNN_AVX2 float sum_avx2(const float* p, int64_t n) {
  __m256 s = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) s = _mm256_add_ps(s, _mm256_loadu_ps(p + i));
  s = _mm256_add_ps(s, _mm256_maskload_ps(p + i, load_mask(lane_range(0, n - i))));
  float lanes[kLanes];
  _mm256_storeu_ps(lanes, s);
  float total = 0.0f;
  for (float l : lanes) total += l;
  return total;
}

}  // namespace

void forward_avx2(const Conv2dDesc& d, const float* x, const float* w, const float* b, float* y,
                  bool relu) {
  // Column chunks of <= 16 outputs, with their input masks ([kw][V] per chunk), shared by every
  // row.
  const int64_t chunk_cols = kLanes * kMaxVec;
  const int64_t nchunks = (d.OW + chunk_cols - 1) / chunk_cols;
  std::vector<LaneMask> masks(static_cast<size_t>(nchunks * d.KW * kMaxVec));
  std::vector<LaneMask> tails(static_cast<size_t>(nchunks));
  std::vector<int> vecs(static_cast<size_t>(nchunks));
  std::vector<int> modes(static_cast<size_t>(nchunks));
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t ow0 = c * chunk_cols, cw = std::min(chunk_cols, d.OW - ow0);
    const int64_t V = (cw + kLanes - 1) / kLanes;
    vecs[c] = int(V);
    tails[c] = lane_range(0, cw - kLanes * (V - 1));
    modes[c] = cw == kLanes * V ? kFull : kTail;
    for (int64_t kw = 0; kw < d.KW; ++kw)
      for (int64_t v = 0; v < V; ++v) {
        const int64_t col0 = ow0 + kLanes * v - d.PW[0] + kw;  // input column of lane 0
        const int64_t out_hi = std::min(kLanes, cw - kLanes * v);
        const int64_t in_lo = std::max<int64_t>(0, -col0);
        const int64_t in_hi = std::min(out_hi, d.IW - col0);
        masks[size_t(c * d.KW * kMaxVec + kw * V + v)] = lane_range(in_lo, in_hi);
        if (in_lo > 0 || in_hi < out_hi) modes[c] = kEdges;
      }
  }
  const auto blocks = channel_blocks(d.OC, forward_max_block(vecs[0]));
  const int64_t w_stride = d.IC * d.KH * d.KW, y_stride = d.OH * d.OW;
  // The weights broadcast to 8 lanes, 32-byte aligned: (OC,IC,KH,KW,8).
  thread_local std::vector<float> w8_buffer;
  float* w8 = aligned_floats(w8_buffer, d.OC * w_stride * kLanes);
  for (int64_t i = 0; i < d.OC * w_stride; ++i) std::fill_n(w8 + i * kLanes, kLanes, w[i]);
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
               .w_stride = w_stride * kLanes,
               .y_stride = y_stride,
               .mask = nullptr,
               .tail = nullptr,
               .tail_lanes = 0,
               .relu = relu};
      for (const auto& [oc0, ocb] : blocks)
        for (int64_t c = 0; c < nchunks; ++c) {
          const int64_t ow0 = c * chunk_cols;
          j.w = w8 + oc0 * w_stride * kLanes;
          j.b = b ? b + oc0 : nullptr;
          j.y = y + (n * d.OC + oc0) * y_stride + oh * d.OW + ow0;
          j.xoff = ow0 - d.PW[0];
          j.mask = masks.data() + c * d.KW * kMaxVec;
          j.tail = &tails[size_t(c)];
          j.tail_lanes = std::min(chunk_cols, d.OW - ow0) - kLanes * (vecs[c] - 1);
          kForward[size_t(modes[c])][size_t(ocb - 1)][size_t(vecs[c] - 1)](j);
        }
    }
  });
}

void backward_weight_avx2(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                          float* db) {
  const int64_t nvec = (d.OW + kLanes - 1) / kLanes;
  std::vector<LaneMask> xmask(static_cast<size_t>(nvec * d.KW)), ymask(static_cast<size_t>(nvec));
  // Vectors needing no mask (whole, no padding in any kernel column) form one range [v_lo, v_hi).
  int64_t v_lo = nvec, v_hi = 0;
  for (int64_t v = 0; v < nvec; ++v) {
    const int64_t out_hi = std::min(kLanes, d.OW - kLanes * v);
    ymask[size_t(v)] = lane_range(0, out_hi);
    bool whole = out_hi == kLanes;
    for (int64_t kw = 0; kw < d.KW; ++kw) {
      const int64_t col0 = kLanes * v - d.PW[0] + kw;
      const int64_t in_lo = std::max<int64_t>(0, -col0);
      const int64_t in_hi = std::min(out_hi, d.IW - col0);
      xmask[size_t(v * d.KW + kw)] = lane_range(in_lo, in_hi);
      if (in_lo > 0 || in_hi < kLanes) whole = false;
    }
    if (whole) {
      v_lo = std::min(v_lo, v);
      v_hi = v + 1;
    }
  }
  if (v_hi <= v_lo) v_lo = v_hi = 0;
  const auto blocks = channel_blocks(d.OC, weight_max_block(int(d.KW)));
  const int64_t WN = d.OC * d.IC * d.KH * d.KW, acc_stride = d.IC * d.KH * d.KW * kLanes;
  const int64_t y_stride = d.OH * d.OW, x_stride = d.IH * d.IW;
  // One partial sum (8 lanes per weight, one float per bias) per thread, summed at the end.
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
        for (int64_t kh = 0; kh < d.KH; ++kh) {
          // Output rows whose kernel row kh lies inside the input.
          const int64_t oh_lo = std::max<int64_t>(0, d.PH[0] - kh);
          const int64_t oh_hi = std::min<int64_t>(d.OH, d.IH + d.PH[0] - kh);
          if (oh_lo >= oh_hi) continue;
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
                                .v_lo = v_lo,
                                .v_hi = v_hi,
                                .nvec = nvec};
              kWeight[size_t(ocb - 1)][size_t(d.KW - 1)](j);
            }
        }
        if (db)
          for (int64_t oc = 0; oc < d.OC; ++oc) pb[oc] += sum_avx2(dyn + oc * y_stride, y_stride);
      }
    }
  });
  sum_partials(part, chunks, kLanes, WN, d.OC, dw, db);
}

}  // namespace physcnn::kernels::direct

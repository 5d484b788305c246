// Winograd F(2x2, 3x3) forward convolution for 3x3 layers of 8-64 channels, AVX2+FMA
// (conv_direct.hpp).
// Per image and row of 2x2 output tiles:
//   1. the tile row's four input rows per channel into a zero-padded buffer (padding, tails);
//   2. input transform V = B^T d B of every 4x4 patch, 8 horizontally adjacent tiles per vector;
//   3. per position of the 4x4 transformed tile, M[pos] (OC x tiles) = U[pos] (OC x IC) * V[pos]
//      with U = G g G^T the transformed weights: the multiplications, 16 per tile and channel
//      pair where the direct kernel does 36;
//   4. output transform A^T M A, bias, ReLU, stores.
// Tiles sit in a vector in the order even/odd lanes give (0 1 4 5 2 3 6 7): the even/odd split
// of step 2 and the unpack of step 4 cancel, so neither needs a cross-lane permute.
// Accuracy: max |error| / max |output| about 2e-7 against 1e-7 for the direct kernel (F(2x2)
// has transform coefficients 0, +-1 and 1/2 only).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/conv_direct.hpp"

namespace physcnn::kernels::direct {

namespace {

constexpr int64_t kLanes = 8;
constexpr int kMaxVec = 2;    // tile vectors per GEMM register block (16 tiles)
constexpr int kMaxBlock = 5;  // output channels per GEMM register block: 10 accumulators

// M[o][tile] = sum over ic of U[o][ic] * V[ic][tile] for OCB output channels and V vectors of 8
// tiles; U's rows are IC apart, V's and M's rows `stride` floats apart (32-byte aligned).
template <int OCB, int V>
PHYSCNN_AVX2 void gemm_block(const float* v, const float* u, float* m, int64_t IC, int64_t stride) {
  __m256 acc[OCB][V];
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int t = 0; t < V; ++t) acc[o][t] = _mm256_setzero_ps();
  for (int64_t ic = 0; ic < IC; ++ic) {
    __m256 xv[V];
#pragma GCC unroll 16
    for (int t = 0; t < V; ++t) xv[t] = _mm256_load_ps(v + ic * stride + kLanes * t);
#pragma GCC unroll 16
    for (int o = 0; o < OCB; ++o) {
      __m256 wv = _mm256_broadcast_ss(u + o * IC + ic);
      __asm__("" : "+x"(wv));  // one broadcast per weight, not one per FMA
#pragma GCC unroll 16
      for (int t = 0; t < V; ++t) acc[o][t] = _mm256_fmadd_ps(xv[t], wv, acc[o][t]);
    }
  }
#pragma GCC unroll 16
  for (int o = 0; o < OCB; ++o)
#pragma GCC unroll 16
    for (int t = 0; t < V; ++t) _mm256_store_ps(m + o * stride + kLanes * t, acc[o][t]);
}

using GemmFn = void (*)(const float*, const float*, float*, int64_t, int64_t);
template <int OCB>
constexpr std::array<GemmFn, kMaxVec> gemm_row() {
  return {&gemm_block<OCB, 1>, &gemm_block<OCB, 2>};
}
// [OCB-1][V-1]
constexpr std::array<std::array<GemmFn, kMaxVec>, kMaxBlock> kGemm = {
    gemm_row<1>(), gemm_row<2>(), gemm_row<3>(), gemm_row<4>(), gemm_row<5>()};

// u[pos][oc][ic] = (G g G^T)[pos] for g = w[oc, ic] (3x3), G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
void transform_weights(const float* w, int64_t OC, int64_t IC, float* u) {
  for (int64_t oc = 0; oc < OC; ++oc)
    for (int64_t ic = 0; ic < IC; ++ic) {
      const float* g = w + (oc * IC + ic) * 9;
      float t[4][3];  // G g
      for (int c = 0; c < 3; ++c) {
        t[0][c] = g[c];
        t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
        t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
        t[3][c] = g[6 + c];
      }
      for (int r = 0; r < 4; ++r) {
        const float row[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]),
                              0.5f * (t[r][0] - t[r][1] + t[r][2]), t[r][2]};
        for (int c = 0; c < 4; ++c) u[((r * 4 + c) * OC + oc) * IC + ic] = row[c];
      }
    }
}

struct Geometry {
  int64_t TW, TH;  // output tiles per row, tile rows
  int64_t TV;      // vectors of 8 tiles per row
  int64_t TWp;     // TV * 8: a row of tiles in the V and M buffers
  int64_t Wb;      // floats per buffered input row: the 2 * TWp + 2 columns read, and slack
};

// The four input rows under tile row th of image xn, channel by channel, into buf (IC x 4 rows
// of Wb floats): buffer column c holds input column c - PW[0], zero outside the input.
void gather_rows(const Conv2dDesc& d, const Geometry& g, const float* xn, int64_t th, float* buf) {
  const int64_t lo = std::clamp<int64_t>(d.PW[0], 0, g.Wb);
  const int64_t hi = std::clamp<int64_t>(d.PW[0] + d.IW, lo, g.Wb);
  for (int64_t ic = 0; ic < d.IC; ++ic)
    for (int64_t r = 0; r < 4; ++r) {
      float* row = buf + (ic * 4 + r) * g.Wb;
      const int64_t ih = 2 * th - d.PH[0] + r;
      if (ih < 0 || ih >= d.IH) {
        std::memset(row, 0, size_t(g.Wb) * sizeof(float));
        continue;
      }
      const float* src = xn + (ic * d.IH + ih) * d.IW;
      std::memset(row, 0, size_t(lo) * sizeof(float));
      std::memcpy(row + lo, src + (lo - d.PW[0]), size_t(hi - lo) * sizeof(float));
      std::memset(row + hi, 0, size_t(g.Wb - hi) * sizeof(float));
    }
}

// p[col..col+8) + sign * q[col..col+8).
PHYSCNN_AVX2 __attribute__((always_inline)) inline __m256 combine_rows(const float* p,
                                                                       const float* q, float sign,
                                                                       int64_t col) {
  return _mm256_fmadd_ps(_mm256_set1_ps(sign), _mm256_loadu_ps(q + col), _mm256_loadu_ps(p + col));
}

// V[pos][ic][tile] = (B^T d B)[pos] of each tile's 4x4 patch d, B^T = [1 0 -1 0; 0 1 1 0;
// 0 -1 1 0; 0 1 0 -1]: rows combined first (on the raw columns), then split into even and odd
// columns and combined across.
PHYSCNN_AVX2 void transform_input(const Geometry& g, int64_t IC, const float* buf, float* v) {
  const int64_t pos_stride = IC * g.TWp;
  for (int64_t ic = 0; ic < IC; ++ic)
    for (int64_t j = 0; j < g.TV; ++j) {
      const float* r0 = buf + ic * 4 * g.Wb + 2 * kLanes * j;
      const float *r1 = r0 + g.Wb, *r2 = r1 + g.Wb, *r3 = r2 + g.Wb;
      float* out = v + ic * g.TWp + kLanes * j;
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        // Row i of B^T: r0 - r2, r1 + r2, r2 - r1, r1 - r3.
        const float* p = i == 0 ? r0 : i == 1 ? r1 : i == 2 ? r2 : r1;
        const float* q = i == 0 ? r2 : i == 1 ? r2 : i == 2 ? r1 : r3;
        const float sign = i == 1 ? 1.0f : -1.0f;
        const auto a = combine_rows(p, q, sign, 0), b = combine_rows(p, q, sign, kLanes);
        const auto c = combine_rows(p, q, sign, 2), e = combine_rows(p, q, sign, kLanes + 2);
        // Columns 2t, 2t+1, 2t+2, 2t+3 of tiles t = 0..7 (in the lane order 0 1 4 5 2 3 6 7).
        const __m256 d0 = _mm256_shuffle_ps(a, b, 0x88), d1 = _mm256_shuffle_ps(a, b, 0xDD);
        const __m256 d2 = _mm256_shuffle_ps(c, e, 0x88), d3 = _mm256_shuffle_ps(c, e, 0xDD);
        float* o = out + 4 * i * pos_stride;
        _mm256_store_ps(o, _mm256_sub_ps(d0, d2));
        _mm256_store_ps(o + pos_stride, _mm256_add_ps(d1, d2));
        _mm256_store_ps(o + 2 * pos_stride, _mm256_sub_ps(d2, d1));
        _mm256_store_ps(o + 3 * pos_stride, _mm256_sub_ps(d1, d3));
      }
    }
}

// y's rows 2 th and 2 th + 1 of every output channel from M: A^T M A with A^T = [1 1 1 0;
// 0 1 -1 -1], plus bias, ReLU; unpacking even and odd columns restores the column order.
PHYSCNN_AVX2 void transform_output(const Conv2dDesc& d, const Geometry& g, const float* m,
                                   const float* b, bool relu, float* yn, int64_t th) {
  const int64_t pos_stride = d.OC * g.TWp;
  const bool second_row = 2 * th + 1 < d.OH;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t oc = 0; oc < d.OC; ++oc) {
    const __m256 bias = _mm256_set1_ps(b ? b[oc] : 0.0f);
    float* y0 = yn + (oc * d.OH + 2 * th) * d.OW;
    for (int64_t j = 0; j < g.TV; ++j) {
      const float* mp = m + oc * g.TWp + kLanes * j;
      __m256 t0[4], t1[4];  // rows of A^T M
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        const __m256 m0 = _mm256_load_ps(mp + c * pos_stride);
        const __m256 m1 = _mm256_load_ps(mp + (4 + c) * pos_stride);
        const __m256 m2 = _mm256_load_ps(mp + (8 + c) * pos_stride);
        const __m256 m3 = _mm256_load_ps(mp + (12 + c) * pos_stride);
        t0[c] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        t1[c] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
      }
      __m256 out[2][2];  // [row][even/odd column]
      const __m256* t[2] = {t0, t1};
#pragma GCC unroll 2
      for (int r = 0; r < 2; ++r) {
        out[r][0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t[r][0], t[r][1]), t[r][2]), bias);
        out[r][1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t[r][1], t[r][2]), t[r][3]), bias);
        if (relu) {
          out[r][0] = _mm256_max_ps(out[r][0], zero);
          out[r][1] = _mm256_max_ps(out[r][1], zero);
        }
      }
      const int64_t col = 2 * kLanes * j, left = d.OW - col;
      for (int r = 0; r < (second_row ? 2 : 1); ++r) {
        float* p = y0 + r * d.OW + col;
        store_lanes(p, _mm256_unpacklo_ps(out[r][0], out[r][1]), std::min(left, kLanes));
        if (left > kLanes)
          store_lanes(p + kLanes, _mm256_unpackhi_ps(out[r][0], out[r][1]),
                      std::min(left - kLanes, kLanes));
      }
    }
  }
}

}  // namespace

void forward_winograd_avx2(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, bool relu) {
  Geometry g{};
  g.TW = (d.OW + 1) / 2;
  g.TH = (d.OH + 1) / 2;
  g.TV = (g.TW + kLanes - 1) / kLanes;
  g.TWp = g.TV * kLanes;
  g.Wb = 2 * g.TWp + kLanes;
  // The caller's thread: parallel_for's workers read it while this thread waits for them.
  thread_local std::vector<float> u_store;
  float* u = aligned_floats(u_store, 16 * d.OC * d.IC);
  transform_weights(w, d.OC, d.IC, u);
  const auto blocks = channel_blocks(d.OC, kMaxBlock);
  const int64_t row_flops = 2 * d.OC * d.IC * 16 * g.TWp;
  const int64_t grain = std::max<int64_t>(1, 200000 / std::max<int64_t>(row_flops, 1));
  // Tile rows of all images as one range: batch 1 still uses every thread.
  parallel_for(0, d.N * g.TH, grain, [&](int64_t lo, int64_t hi) {
    thread_local std::vector<float> buf_store, v_store, m_store;
    float* buf = aligned_floats(buf_store, d.IC * 4 * g.Wb);
    float* v = aligned_floats(v_store, 16 * d.IC * g.TWp);
    float* m = aligned_floats(m_store, 16 * d.OC * g.TWp);
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t n = r / g.TH, th = r % g.TH;
      gather_rows(d, g, x + n * d.IC * d.IH * d.IW, th, buf);
      transform_input(g, d.IC, buf, v);
      for (int64_t pos = 0; pos < 16; ++pos)
        for (const auto& [oc0, ocb] : blocks)
          for (int64_t j = 0; j < g.TV; j += kMaxVec) {
            const int64_t vecs = std::min<int64_t>(kMaxVec, g.TV - j);
            kGemm[size_t(ocb - 1)][size_t(vecs - 1)](
                v + pos * d.IC * g.TWp + kLanes * j, u + (pos * d.OC + oc0) * d.IC,
                m + (pos * d.OC + oc0) * g.TWp + kLanes * j, d.IC, g.TWp);
          }
      transform_output(d, g, m, b, relu, y + n * d.OC * d.OH * d.OW, th);
    }
  });
}

}  // namespace physcnn::kernels::direct

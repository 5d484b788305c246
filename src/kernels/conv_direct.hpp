// Internal to the direct convolution kernels (conv_direct*.cpp): the per-ISA forward and
// weight-gradient kernels and what they share. The public functions are in conv.hpp.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/conv.hpp"

// Compiles a function for AVX2+FMA; such functions run only on CPUs that have them.
#define PHYSCNN_AVX2 __attribute__((target("avx2,fma")))

namespace physcnn::kernels::direct {

constexpr int64_t kMaxKW = 5;  // kernel widths the weight-gradient kernels are instantiated for

// Splits `channels` into register blocks of at most `max_block`, as even as possible (10 at
// most 6 -> 5 + 5, not 6 + 4: the smaller block would run at the larger block's cost per FMA).
std::vector<std::array<int64_t, 2>> channel_blocks(int64_t channels, int64_t max_block);

// The weight-gradient kernels' last step: `chunks` threads each left WN * lanes lane-wise
// partial sums (weight i at [i * lanes, (i + 1) * lanes)) followed by OC bias sums;
// dw[i] = all of weight i's, db[oc] = all of oc's (db may be null).
void sum_partials(const float* part, int64_t chunks, int64_t lanes, int64_t WN, int64_t OC,
                  float* dw, float* db);

// Stride 1, dilation 1, groups 1, KW <= kMaxKW (checked by the caller); same contracts as
// conv2d_forward_direct and conv2d_backward_weight_direct. Backward data is the forward of the
// transposed geometry (conv_direct.cpp).
void forward_avx512(const Conv2dDesc& d, const float* x, const float* w, const float* b, float* y,
                    bool relu);
void backward_weight_avx512(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                            float* db);
// At least n floats of v, from an address aligned to 32 bytes (v grows as needed; a caller's
// thread_local buffer keeps its capacity from call to call).
inline float* aligned_floats(std::vector<float>& v, int64_t n) {
  constexpr int64_t kPerLine = 8;  // floats per 32 bytes
  v.resize(size_t(n + kPerLine));
  const auto skew = int64_t(reinterpret_cast<uintptr_t>(v.data()) / sizeof(float)) % kPerLine;
  return v.data() + (kPerLine - skew) % kPerLine;
}

// Stores lanes [0, n) of v at p, 1 <= n <= 8, with plain 256/128/64/32-bit stores:
// vmaskmovps stores cost Zen 3 about as much as a chunk's FMAs when the input has one channel
// (W2 1->32 forward ran at 5-7 GFLOP/s).
PHYSCNN_AVX2 __attribute__((always_inline)) inline void store_lanes(float* p, __m256 v, int64_t n) {
  if (n == 8) return _mm256_storeu_ps(p, v);
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, part);
    part = _mm256_extractf128_ps(v, 1);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
    part = _mm_movehl_ps(part, part);
    p += 2;
    n -= 2;
  }
  if (n == 1) _mm_store_ss(p, part);
}

void forward_avx2(const Conv2dDesc& d, const float* x, const float* w, const float* b, float* y,
                  bool relu);
void backward_weight_avx2(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                          float* db);

// Winograd F(2x2, 3x3) forward (conv_winograd_avx2.cpp): 3x3 kernels, stride 1, any zero
// padding (negative too), AVX2+FMA; same contract as forward_avx2. 16 multiplications per 2x2
// output tile and channel pair instead of 36.
void forward_winograd_avx2(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, bool relu);

}  // namespace physcnn::kernels::direct

// Internal to the direct convolution kernels (conv_direct*.cpp): the per-ISA forward and
// weight-gradient kernels and what they share. The public functions are in conv.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/conv.hpp"

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
void forward_avx2(const Conv2dDesc& d, const float* x, const float* w, const float* b, float* y,
                  bool relu);
void backward_weight_avx2(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                          float* db);

}  // namespace physcnn::kernels::direct

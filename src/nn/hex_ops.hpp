// The pieces hexconv2d and hexpool2d share: shape checks of an odd-q grid input, the
// parity-dependent convolution (one conv2d kernel for centres in even columns, one for odd),
// and hexagdly's stride as a sampling of the full-resolution output. All of it composes
// existing differentiable ops, so nothing here has a backward of its own.
#pragma once

#include <cstdint>
#include <string>

#include "autograd/functional.hpp"

namespace physcnn::nn {

using autograd::Var;

// ShapeError naming the layer unless x is (N,C,H,W) and fits radius k, stride s and the
// boundary (periodic: even column count, H % s == 0, W % 2s == 0, at least k rows/columns).
void check_hex_input(const std::string& layer, const Var& x, int64_t k, int64_t s, bool periodic);

// (taps, (2k+1)^2) 0/1 float64 matrix: tap t of hex_taps(k) -> its place in a dense
// (2k+1)x(2k+1) conv2d kernel centred on a cell in a column of the given parity.
Tensor hex_scatter(int64_t k, int parity);

// conv2d(x, even_kernel) at centres in even columns and conv2d(x, odd_kernel) in odd columns,
// stride 1, padding k (zeros or circular), bias (may be undefined), groups as conv2d.
Var hex_parity_conv(const Var& x, const Var& even_kernel, const Var& odd_kernel, const Var& bias,
                    int64_t k, bool periodic, int64_t groups = 1);

// hexagdly's stride s applied to a full-resolution (N,C,H,W) map: output column J is column
// s*J, output row m is row s*m (+ s/2 rounded down in odd output columns); HO is the shortest
// column. Two constant 0/1 matmuls. s = 1 returns y.
Var hex_stride_sample(const Var& y, int64_t s);

}  // namespace physcnn::nn

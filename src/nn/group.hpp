// The point groups p4 (rotations by 90 degrees) and p4m (with mirrors) of the square lattice:
// element algebra, their action on square arrays, and on feature maps over the group, for the
// group-equivariant layers (nn/group_conv.hpp), their tests and the invariance probe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace physcnn::nn {

enum class SymmetryGroup { P4, P4M };

// "p4", "p4m": the model-file spellings.
const std::vector<std::pair<std::string, SymmetryGroup>>& symmetry_group_names();

// Element e = 4 m + k stands for r^k f^m: first the mirror f (m = 1) that reverses the columns
// (numpy.fliplr), then k counter-clockwise quarter turns r (numpy.rot90). p4 holds e = 0..3,
// p4m e = 0..7; the composition r^k f^m r^k' f^m' = r^(k + (-1)^m k') f^(m + m').
int64_t group_order(SymmetryGroup g);
int64_t group_mul(int64_t a, int64_t b);
int64_t group_inverse(int64_t a);

// (T_e a)[y][x] = a[source]: the pixel of an N x N array that element e moves to (y, x).
std::pair<int64_t, int64_t> group_source(int64_t e, int64_t y, int64_t x, int64_t N);

// The group element acting on the last two dimensions of x (N, C, H, W), H == W unless e is the
// identity or a pure mirror. With order = 0, every channel is a plain image: out[n, c] = T_e
// x[n, c]. With order = |G| > 0, the channels are C / |G| fields over the group, channel
// c |G| + g holding orientation g (the layout of the group layers):
// out[n, c |G| + g] = T_e x[n, c |G| + e^-1 g], the regular representation.
Tensor group_act(const Tensor& x, int64_t e, int64_t order);

}  // namespace physcnn::nn

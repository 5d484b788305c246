// Transforms that keep physics intact. For lattices: the 8 symmetries of the square (D4),
// periodic translations and the global spin flip (Z2) map a configuration to another with the
// same energy and |magnetisation|, so they are exact augmentations. Values are never rescaled.
#pragma once

#include <cstdint>

#include "core/rng.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::data {

// Element k (0..7) of D4 applied to the last two (equal) dimensions of x (..., L, L):
// k & 3 rotations by 90 degrees counter-clockwise, then a left-right flip if k & 4.
Tensor d4(const Tensor& x, int k);
// Periodic shift of the last two dimensions by (dy, dx).
Tensor roll2d(const Tensor& x, int64_t dy, int64_t dx);

struct LatticeAugment {
  bool d4 = true;         // one of the 8 square symmetries
  bool translate = true;  // periodic translation by a random offset
  bool spin_flip = true;  // s -> -s with probability 1/2
};
// A random symmetry per sample of x (N, C, L, L), reproducible from rng.
Tensor augment_lattices(const Tensor& x, const LatticeAugment& options, Rng& rng);

}  // namespace physcnn::data

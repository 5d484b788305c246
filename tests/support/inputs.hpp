// Test inputs of a given shape: random from an explicit seed (uniform in [-1, 1)) as a Tensor or
// a Var, or zeros with a gradient (for error tests, where only the shape matters).
#pragma once

#include <cstdint>

#include "autograd/var.hpp"
#include "core/rng.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::test {

inline Tensor random_tensor(const Shape& s, uint64_t seed, DType dt = DType::F32) {
  Rng rng(seed);
  return Tensor::uniform(s, -1.0, 1.0, rng, dt);
}

inline autograd::Var random_var(const Shape& s, uint64_t seed, DType dt = DType::F32,
                                bool requires_grad = false) {
  return autograd::Var(random_tensor(s, seed, dt), requires_grad);
}

inline autograd::Var zero_var(const Shape& s) {
  return autograd::Var(Tensor::zeros(s), true);
}

}  // namespace physcnn::test

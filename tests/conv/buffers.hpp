// Helpers shared by the conv kernel tests: random float buffers and a comparison of a kernel's
// output with the reference loops relative to the reference's scale.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::test {

inline std::vector<float> random_buffer(int64_t n, uint64_t seed) {
  Rng rng(seed);
  const Tensor t = Tensor::uniform({n}, -1.0, 1.0, rng, DType::F32);
  return std::vector<float>(t.data<float>(), t.data<float>() + n);
}

// max |a - b| <= 1e-5 * max |b| (with a floor for an all-zero b); `kernel` names a in messages.
inline ::testing::AssertionResult close_on_scale(const std::vector<float>& a,
                                                 const std::vector<float>& b, const char* what,
                                                 const char* kernel) {
  double diff = 0, scale = 0;
  size_t worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, double(std::fabs(b[i])));
    const double d = std::fabs(double(a[i]) - double(b[i]));
    if (d > diff) diff = d, worst = i;
  }
  if (diff <= 1e-5 * std::max(scale, 1e-30)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": max |" << kernel << " - reference| = " << diff << " at " << worst << " ("
         << kernel << " " << a[worst] << ", reference " << b[worst] << "), scale " << scale;
}

}  // namespace physcnn::test

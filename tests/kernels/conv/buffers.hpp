// Helpers shared by the conv kernel tests: random float buffers, and the comparison of a
// kernel's result with the reference against a bound from the magnitudes of the summed terms.
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

// The tolerance of a float32 sum relative to the sum of its terms' magnitudes: summing n terms
// in float32 errs by at most about n * 2^-24 * sum |terms| (Higham, "Accuracy and Stability of
// Numerical Algorithms", 4.2), and typically by sqrt(n) * 2^-24 for the blocked sums of our
// kernels; 1e-5 (~170 ulp) covers the worst case up to 170 terms and the typical one far beyond
// the sums of the test shapes (up to ~10^4 terms), while one term dropped from a sum of n
// comparable terms shifts it by ~1/n of the bound.
constexpr double kSumTolerance = 1e-5;

// Per element |a - ref| <= tol * bound, where bound[i] is the sum of the magnitudes of the
// terms of element i (the reference kernel run on |inputs|); `kernel` names a in messages.
inline ::testing::AssertionResult within_sum_bound(const std::vector<float>& a,
                                                   const std::vector<float>& ref,
                                                   const std::vector<float>& bound,
                                                   const char* what, const std::string& kernel,
                                                   double tol = kSumTolerance) {
  double worst_ratio = 0;
  size_t worst = 0, failures = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::fabs(double(a[i]) - double(ref[i]));
    const double allowed = tol * double(bound[i]);
    if (!(diff <= allowed)) ++failures;  // NaN fails too
    const double ratio = allowed > 0 ? diff / allowed : (diff > 0 ? INFINITY : 0);
    if (!(ratio <= worst_ratio)) worst_ratio = ratio, worst = i;
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << failures << " of " << a.size() << " elements off; worst at " << worst
         << ": |" << kernel << " - reference| = " << std::fabs(double(a[worst]) - ref[worst])
         << " (" << kernel << " " << a[worst] << ", reference " << ref[worst] << ") > " << tol
         << " x sum of |terms| " << bound[worst];
}

}  // namespace physcnn::test

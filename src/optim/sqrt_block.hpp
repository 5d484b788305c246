// Square roots of a short block in place, vectorized. GCC keeps std::sqrt scalar under the
// default -fmath-errno (it must be able to set errno), which left the Adam and RMSprop loops
// unvectorized; _mm_sqrt_ps is IEEE correctly rounded, so results equal std::sqrt bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace physcnn::optim::detail {

// Elements per block of the fast update loops: the block's roots live on the stack (1 KB).
inline constexpr int64_t kSqrtBlock = 256;

inline void sqrt_block(float* x, int64_t n) {
  int64_t j = 0;
#if defined(__SSE2__)
  for (; j + 4 <= n; j += 4) _mm_storeu_ps(x + j, _mm_sqrt_ps(_mm_loadu_ps(x + j)));
#endif
  for (; j < n; ++j) x[j] = std::sqrt(x[j]);
}

}  // namespace physcnn::optim::detail

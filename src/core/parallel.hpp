// Threading in one place: parallel_for over an index range with OpenMP, and the thread count.
#pragma once

#include <algorithm>
#include <cstdint>

namespace physcnn {

// Number of threads parallel regions use (defaults to the cores OpenMP sees).
int num_threads();
void set_num_threads(int n);
bool in_parallel_region();

// Calls f(lo, hi) on disjoint chunks covering [begin, end); chunks have at least `grain`
// iterations so that tiny loops stay serial. Never nests: inside a parallel region it runs
// serially.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  const int64_t chunks = std::min<int64_t>(max_chunks, num_threads());
  if (chunks <= 1 || in_parallel_region()) {
    f(begin, end);
    return;
  }
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = begin + n * c / chunks, hi = begin + n * (c + 1) / chunks;
    f(lo, hi);
  }
}

}  // namespace physcnn

// Threading in one place: parallel_for over an index range with OpenMP, and the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

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

// Calls f(w) once for each w in [0, workers) on its own thread, for independent tasks that
// each run single-threaded (inside, parallel_for and oneDNN run serially). An exception thrown
// by f(w) is caught on its thread and the one of the lowest w rethrown here after all finish.
template <class F>
void run_on_threads(int workers, F&& f) {
  if (workers <= 1 || in_parallel_region()) {
    for (int w = 0; w < workers; ++w) f(w);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
#pragma omp parallel for num_threads(workers) schedule(static, 1)
  for (int w = 0; w < workers; ++w) {
    try {
      // This thread's own thread-count setting (it ends with the region): oneDNN sizes a
      // primitive's internal barriers and reductions by it when the primitive is created.
      set_num_threads(1);
      f(w);
    } catch (...) {
      errors[static_cast<size_t>(w)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace physcnn

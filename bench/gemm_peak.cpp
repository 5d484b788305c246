// The machine's measured fp32 GEMM peak, the yardstick for the workloads' GFLOP/s (issue 5):
// oneDNN's sgemm (kernels::gemm on the fast backend) on square n x n matrices, n = 512, 1024,
// 2048, each the median of 5 timed calls after one warm-up, wall time.
// Usage: gemm_peak [threads]   Prints one line per n and, last, "peak <GFLOP/s>" (the best n).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/gemm.hpp"

using namespace physcnn;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : num_threads();
  if (threads < 1) {
    std::fprintf(stderr, "gemm_peak: threads must be >= 1, got '%s'\n", argv[1]);
    return 2;
  }
  set_num_threads(threads);
  double peak = 0;
  for (int64_t n : {512, 1024, 2048}) {
    std::vector<float> a(size_t(n * n)), b(size_t(n * n)), c(size_t(n * n));
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = float(i % 17) * 0.01f;
      b[i] = float(i % 13) * 0.01f;
    }
    const auto run = [&] {
      kernels::gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(),
                           n);
    };
    run();
    std::vector<double> t;
    for (int r = 0; r < 5; ++r) {
      const auto start = std::chrono::steady_clock::now();
      run();
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(t.begin(), t.end());
    const double gflops = 2.0 * double(n) * double(n) * double(n) / t[2] * 1e-9;
    std::printf("sgemm n=%lld, %d thread(s): %.1f GFLOP/s (median of 5)\n",
                static_cast<long long>(n), threads, gflops);
    peak = std::max(peak, gflops);
  }
  std::printf("peak %.1f\n", peak);
  return 0;
}

// GFLOP/s of the fast float32 convolution on the conv layers of W1-W5, pass by pass (forward,
// backward data, backward weight+bias), so that a slow pass shows which kernel to work on.
// Usage: conv_gflops [threads] [filter]  (filter: a substring of the row name, e.g. "W5").
// tools/ref/conv_bench.py times PyTorch on the W2 and W4 rows (same thread count).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "tensor/tensor.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

// Best and median wall time of f in seconds over at least 20 repetitions (about `budget`
// seconds). On a shared machine the best run is the kernel's speed; the median shows the load.
struct Timing {
  double best, median;
};
Timing time_it(const std::function<void()>& f, double budget = 0.5) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) f();  // warm-up: primitive creation, caches, thread pool
  std::vector<double> t;
  const auto start = clock::now();
  while (t.size() < 20 ||
         (std::chrono::duration<double>(clock::now() - start).count() < budget && t.size() < 200)) {
    const auto a = clock::now();
    f();
    t.push_back(std::chrono::duration<double>(clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

std::vector<float> random_buffer(int64_t n, uint64_t seed) {
  Rng rng(seed);
  const Tensor t = Tensor::uniform({n}, -1.0, 1.0, rng, DType::F32);
  return std::vector<float>(t.data<float>(), t.data<float>() + n);
}

// One conv layer of a workload at its training batch: square input HW, square kernel K,
// symmetric zero padding P (W3's circular padding is measured as the padded input, P = 0).
struct Layer {
  const char* workload;
  int64_t N, IC, OC, HW, K, P;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string filter = argc > 2 ? argv[2] : "";
  set_num_threads(threads);
  const Layer layers[] = {
      {"W1", 32, 1, 6, 28, 5, 2},   {"W1", 32, 6, 16, 14, 5, 0},   {"W2", 32, 1, 32, 28, 3, 1},
      {"W2", 32, 32, 64, 14, 3, 1}, {"W3", 32, 1, 16, 34, 3, 0},   {"W3", 32, 16, 32, 18, 3, 0},
      {"W3", 128, 1, 16, 34, 3, 0}, {"W3", 128, 16, 32, 18, 3, 0}, {"W4", 8, 1, 16, 64, 3, 1},
      {"W4", 8, 16, 16, 64, 3, 1},  {"W4", 8, 16, 32, 32, 3, 1},   {"W4", 8, 32, 32, 32, 3, 1},
      {"W4", 8, 32, 64, 16, 3, 1},  {"W4", 8, 64, 64, 16, 3, 1},   {"W5", 32, 3, 10, 64, 3, 0},
      {"W5", 32, 10, 10, 62, 3, 0}, {"W5", 32, 10, 10, 30, 3, 0},  {"W5", 32, 10, 10, 28, 3, 0},
  };
  std::printf(
      "%d thread(s); GFLOP/s from the best of >= 20 runs (median in parentheses); each pass\n"
      "has the forward's FLOPs (backward weight includes the bias sum). Per layer: the fast\n"
      "dispatch, then each implementation it chooses from.\n",
      threads);
  std::printf("%-4s %-26s %8s %15s %8s %15s %8s %15s\n", "", "layer (KxK pad P)", "fwd ms",
              "fwd GF/s", "bwd-d ms", "bwd-d GF/s", "bwd-w ms", "bwd-w GF/s");
  for (const Layer& l : layers) {
    char name[64];
    std::snprintf(name, sizeof name, "N%ld %ld->%ld @%ld k%ld p%ld", long(l.N), long(l.IC),
                  long(l.OC), long(l.HW), long(l.K), long(l.P));
    if (!filter.empty() && (std::string(l.workload) + " " + name).find(filter) == std::string::npos)
      continue;
    k::Conv2dDesc d{.N = l.N,
                    .IC = l.IC,
                    .IH = l.HW,
                    .IW = l.HW,
                    .OC = l.OC,
                    .KH = l.K,
                    .KW = l.K,
                    .PH = {l.P, l.P},
                    .PW = {l.P, l.P}};
    k::conv2d_validate(d);
    const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
    const int64_t nw = d.OC * d.IC * d.KH * d.KW;
    auto x = random_buffer(nx, 1), w = random_buffer(nw, 2), b = random_buffer(d.OC, 3);
    auto dy = random_buffer(ny, 4);
    std::vector<float> y(ny), dx(nx), dw(nw), db(d.OC);
    const double flops = 2.0 * double(ny) * double(d.IC * d.KH * d.KW);  // one pass

    const auto rate = [&](double t) { return flops / t * 1e-9; };
    const auto row = [&](const char* workload, const char* label, const Timing& tf,
                         const Timing& td, const Timing& tw) {
      std::printf("%-4s %-26s %8.3f %6.1f (%6.1f) %8.3f %6.1f (%6.1f) %8.3f %6.1f (%6.1f)  %s\n",
                  workload, label, tf.best * 1e3, rate(tf.best), rate(tf.median), td.best * 1e3,
                  rate(td.best), rate(td.median), tw.best * 1e3, rate(tw.best), rate(tw.median),
                  label == name ? "dispatch" : "");
    };
    // The three passes through the fast dispatch, with the given fast-path switches.
    const auto fast_row = [&](const char* workload, const char* label, k::FastPaths paths) {
      const k::FastPaths saved = k::fast_paths();
      k::set_fast_paths(paths);
      const Timing tf =
          time_it([&] { k::conv2d_forward_fast(d, x.data(), w.data(), b.data(), y.data()); });
      const Timing td =
          time_it([&] { k::conv2d_backward_data_fast(d, dy.data(), w.data(), dx.data()); });
      const Timing tw = time_it(
          [&] { k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw.data(), db.data()); });
      k::set_fast_paths(saved);
      row(workload, label, tf, td, tw);
    };
    fast_row(l.workload, name, k::fast_paths());
    fast_row("", "oneDNN, blocked layouts",
             {.conv_gemm = false, .conv_direct = false, .conv_plain = false});
    fast_row("", "oneDNN, NCHW activations",
             {.conv_gemm = false, .conv_direct = false, .conv_plain = true});
    const Timing tfg =
        time_it([&] { k::conv2d_forward_gemm(d, x.data(), w.data(), b.data(), y.data(), false); });
    const Timing tdg =
        time_it([&] { k::conv2d_backward_data_gemm(d, dy.data(), w.data(), dx.data()); });
    const Timing twg = time_it(
        [&] { k::conv2d_backward_weight_gemm(d, x.data(), dy.data(), dw.data(), db.data()); });
    row("", "im2col + sgemm", tfg, tdg, twg);
    // Direct kernels where they apply (stride 1, dilation 1, KW <= 5; conv_direct*.cpp).
    if (k::conv2d_direct_available() && d.KW <= 5) {
      const Timing tfd = time_it(
          [&] { k::conv2d_forward_direct(d, x.data(), w.data(), b.data(), y.data(), false); });
      const Timing tdd =
          time_it([&] { k::conv2d_backward_data_direct(d, dy.data(), w.data(), dx.data()); });
      const Timing twd = time_it(
          [&] { k::conv2d_backward_weight_direct(d, x.data(), dy.data(), dw.data(), db.data()); });
      row("", k::conv2d_direct_isa() == k::DirectIsa::Avx512 ? "direct (AVX-512)" : "direct (AVX2)",
          tfd, tdd, twd);
    }
  }
  return 0;
}

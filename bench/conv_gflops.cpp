// GFLOP/s of the fast float32 convolution on the W2 (fmnist_bn) and W4 (unet_small) conv
// layers: forward alone and a full training step (forward, backward data, backward weight+bias),
// beside an im2col + kernels::gemm forward as the alternative the fast path was chosen over.
// Compare with tools/ref/conv_bench.py (PyTorch, same shapes, same thread count).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "kernels/conv.hpp"
#include "kernels/gemm.hpp"
#include "tensor/tensor.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

// Best and median wall time of f in seconds over at least 20 repetitions (about `budget`
// seconds). On a shared machine the best run is the kernel's speed; the median shows the load.
struct Timing {
  double best, median;
};
Timing time_it(const std::function<void()>& f, double budget = 1.0) {
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

// The alternative: per image, unfold x into columns (IC*KH*KW, OH*OW) and multiply by the
// weight matrix (OC, IC*KH*KW) with oneDNN's sgemm. Groups = 1 only.
void conv2d_forward_im2col(const k::Conv2dDesc& d, const float* x, const float* w, const float* b,
                           float* y, std::vector<float>& cols) {
  const int64_t K = d.IC * d.KH * d.KW, P = d.OH * d.OW;
  cols.resize(static_cast<size_t>(K * P));
  for (int64_t n = 0; n < d.N; ++n) {
    const float* xn = x + n * d.IC * d.IH * d.IW;
    for (int64_t ic = 0; ic < d.IC; ++ic)
      for (int64_t kh = 0; kh < d.KH; ++kh)
        for (int64_t kw = 0; kw < d.KW; ++kw) {
          float* row = cols.data() + ((ic * d.KH + kh) * d.KW + kw) * P;
          for (int64_t oh = 0; oh < d.OH; ++oh) {
            const int64_t ih = oh * d.SH - d.PH[0] + kh * d.DH;
            for (int64_t ow = 0; ow < d.OW; ++ow) {
              const int64_t iw = ow * d.SW - d.PW[0] + kw * d.DW;
              row[oh * d.OW + ow] = (ih >= 0 && ih < d.IH && iw >= 0 && iw < d.IW)
                                        ? xn[(ic * d.IH + ih) * d.IW + iw]
                                        : 0.0f;
            }
          }
        }
    float* yn = y + n * d.OC * P;
    for (int64_t oc = 0; oc < d.OC; ++oc) std::fill(yn + oc * P, yn + (oc + 1) * P, b[oc]);
    k::gemm<float>(false, false, d.OC, P, K, 1.0f, w, K, cols.data(), P, 1.0f, yn, P);
  }
}

struct Layer {
  const char* workload;
  int64_t N, IC, OC, HW;
};

}  // namespace

int main() {
  const Layer layers[] = {
      {"W2", 32, 1, 32, 28}, {"W2", 32, 32, 64, 14}, {"W4", 8, 1, 16, 64},  {"W4", 8, 16, 16, 64},
      {"W4", 8, 16, 32, 32}, {"W4", 8, 32, 32, 32},  {"W4", 8, 32, 64, 16}, {"W4", 8, 64, 64, 16},
  };
  std::printf(
      "GFLOP/s from the best of >= 20 runs (median in parentheses); step = forward +\n"
      "backward data + backward weight/bias = 3x the forward FLOPs\n");
  std::printf("%-4s %-22s %9s %18s %18s %9s %18s\n", "", "layer (3x3 pad 1)", "fwd ms", "fwd GF/s",
              "im2col fwd GF/s", "step ms", "step GF/s");
  for (const Layer& l : layers) {
    k::Conv2dDesc d{.N = l.N,
                    .IC = l.IC,
                    .IH = l.HW,
                    .IW = l.HW,
                    .OC = l.OC,
                    .KH = 3,
                    .KW = 3,
                    .PH = {1, 1},
                    .PW = {1, 1}};
    k::conv2d_validate(d);
    const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
    const int64_t nw = d.OC * d.IC * 9;
    auto x = random_buffer(nx, 1), w = random_buffer(nw, 2), b = random_buffer(d.OC, 3);
    auto dy = random_buffer(ny, 4);
    std::vector<float> y(ny), dx(nx), dw(nw), db(d.OC), cols;
    const double flops = 2.0 * double(ny) * double(d.IC * 9);  // one pass

    const Timing t_fwd =
        time_it([&] { k::conv2d_forward_fast(d, x.data(), w.data(), b.data(), y.data()); });
    const Timing t_im2col =
        time_it([&] { conv2d_forward_im2col(d, x.data(), w.data(), b.data(), y.data(), cols); });
    const Timing t_step = time_it([&] {
      k::conv2d_forward_fast(d, x.data(), w.data(), b.data(), y.data());
      k::conv2d_backward_data_fast(d, dy.data(), w.data(), dx.data());
      k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw.data(), db.data());
    });
    char name[64];
    std::snprintf(name, sizeof name, "N%ld %ld->%ld @%ldx%ld", long(l.N), long(l.IC), long(l.OC),
                  long(l.HW), long(l.HW));
    const auto rate = [](double f, double t) { return f / t * 1e-9; };
    std::printf("%-4s %-22s %9.3f %8.1f (%7.1f) %8.1f (%7.1f) %9.3f %8.1f (%7.1f)\n", l.workload,
                name, t_fwd.best * 1e3, rate(flops, t_fwd.best), rate(flops, t_fwd.median),
                rate(flops, t_im2col.best), rate(flops, t_im2col.median), t_step.best * 1e3,
                rate(3 * flops, t_step.best), rate(3 * flops, t_step.median));
  }
  return 0;
}

// Winograd convolutions (oneDNN F(4x4,3x3), the onednn_winograd entry of the list): which layers
// get them, their error against the reference loops on the W2/W4 layers that use them, repeats
// bit for bit, separate cached plans per algorithm, and a short W4 (unet_small) training run
// against the direct path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "autograd/functional.hpp"
#include "buffers.hpp"
#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv/conv_check.hpp"
#include "kernels/conv_dispatch.hpp"
#include "nn/models/models.hpp"
#include "optim/adam.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;
using physcnn::test::random_buffer;

namespace {

k::Conv2dDesc same3x3(int64_t n, int64_t ic, int64_t oc, int64_t hw) {
  k::Conv2dDesc d{
      .N = n, .IC = ic, .IH = hw, .IW = hw, .OC = oc, .KH = 3, .KW = 3, .PH = {1, 1}, .PW = {1, 1}};
  k::conv2d_validate(d);
  return d;
}

// Sets the fast-path switches for a scope.
class PathsGuard {
 public:
  explicit PathsGuard(bool winograd) : saved_(k::fast_paths()) {
    k::FastPaths p = saved_;
    p.winograd = winograd;
    k::set_fast_paths(p);
  }
  ~PathsGuard() { k::set_fast_paths(saved_); }
  PathsGuard(const PathsGuard&) = delete;
  PathsGuard& operator=(const PathsGuard&) = delete;

 private:
  k::FastPaths saved_;
};

// The onednn_winograd entry's rule.
bool preferred(const k::Conv2dDesc& d, k::ConvPass pass) {
  return k::conv2d_implementation("onednn_winograd").supports(d, pass, k::conv2d_isa());
}

}  // namespace

TEST(Winograd, RuleTakesOnlyMeasuredWinners) {
  const PathsGuard on(true);
  k::BackendGuard fast(k::Backend::Fast);
  using P = k::ConvPass;
  // W4 at batch 8: 32 and 64 channels in and out, all passes (bench/NOTES.md "wino").
  for (P p : {P::Forward, P::BackwardData, P::BackwardWeight}) {
    EXPECT_TRUE(preferred(same3x3(8, 32, 32, 32), p));
    EXPECT_TRUE(preferred(same3x3(8, 64, 32, 32), p));
    EXPECT_TRUE(preferred(same3x3(32, 32, 64, 14), p));  // W2
    // 16 input channels lose forward and backward data, and the weight gradient over short
    // reductions (N*OH*OW = 8192 at 8 x 32x32).
    EXPECT_EQ(preferred(same3x3(8, 16, 16, 64), p), p == P::BackwardWeight);  // 8 x 64x64
    EXPECT_FALSE(preferred(same3x3(8, 16, 32, 32), p));
    EXPECT_EQ(preferred(same3x3(128, 16, 32, 16), p), p == P::BackwardWeight);  // W3 at 128
    // Batch 1 (latency): the direct kernel is faster.
    EXPECT_FALSE(preferred(same3x3(1, 64, 64, 16), p));
  }
  // 32 -> 16 at 64x64 gains only in backward-weights.
  EXPECT_TRUE(preferred(same3x3(8, 32, 16, 64), P::BackwardWeight));
  EXPECT_FALSE(preferred(same3x3(8, 32, 16, 64), P::Forward));
  // Not 3x3 stride 1, grouped, or channels not a multiple of 16: no Winograd kernel.
  k::Conv2dDesc strided = same3x3(8, 32, 32, 32);
  strided.SH = strided.SW = 2;
  k::conv2d_validate(strided);
  EXPECT_FALSE(preferred(strided, P::Forward));
  k::Conv2dDesc grouped = same3x3(8, 32, 32, 32);
  grouped.G = 2;
  k::conv2d_validate(grouped);
  EXPECT_FALSE(preferred(grouped, P::Forward));
  EXPECT_FALSE(preferred(same3x3(8, 40, 40, 32), P::Forward));
  const PathsGuard off(false);
  EXPECT_FALSE(preferred(same3x3(8, 64, 64, 16), P::Forward));
}

// Winograd transforms add rounding; on the W2/W4 layers that use them every pass stays within
// the sum-of-magnitudes bound (the onednn_winograd entry also runs on every table row in
// conv_impl_test.cpp, at batch 2).
TEST(Winograd, WorkloadLayersMatchReference) {
  const PathsGuard on(true);
  const k::Conv2dDesc layers[] = {same3x3(8, 32, 32, 32), same3x3(8, 64, 32, 32),
                                  same3x3(8, 32, 64, 16), same3x3(8, 64, 64, 16),
                                  same3x3(8, 32, 16, 32), same3x3(8, 32, 64, 14)};
  for (const k::Conv2dDesc& d : layers)
    test::check_entry(k::conv2d_implementation("onednn_winograd"), d);
}

// Resumed runs must repeat uninterrupted ones (CLI resume case): every pass bit for bit.
TEST(Winograd, RepeatsBitForBit) {
  const PathsGuard on(true);
  const k::Conv2dDesc d = same3x3(8, 32, 64, 14);
  ASSERT_TRUE(preferred(d, k::ConvPass::BackwardWeight));
  k::BackendGuard fast(k::Backend::Fast);
  const int64_t nx = d.N * d.IC * 196, ny = d.N * d.OC * 196, nw = d.OC * d.IC * 9;
  const auto x = random_buffer(nx, 21), w = random_buffer(nw, 22), dy = random_buffer(ny, 23);
  const auto passes = [&] {
    std::vector<float> out(size_t(ny + nx + nw + d.OC));
    float* p = out.data();
    k::conv2d_forward<float>(d, x.data(), w.data(), nullptr, p);
    k::conv2d_backward_data<float>(d, dy.data(), w.data(), p + ny);
    k::conv2d_backward_weight<float>(d, x.data(), dy.data(), p + ny + nx, p + ny + nx + nw);
    return out;
  };
  const std::vector<float> first = passes();
  for (int repeat = 0; repeat < 5; ++repeat) {
    const std::vector<float> again = passes();
    ASSERT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)))
        << "repeat " << repeat;
  }
}

TEST(Winograd, PlansAreCachedPerAlgorithm) {
  const k::Conv2dDesc d = same3x3(8, 64, 64, 8);
  const auto x = random_buffer(d.N * d.IC * 64, 1), w = random_buffer(d.OC * d.IC * 9, 2);
  std::vector<float> y_wino(d.N * d.OC * 64), y_direct(y_wino.size());
  const int64_t before = k::conv2d_fast_cache_size();
  k::conv2d_implementation("onednn_winograd")
      .run(d, k::ConvPass::Forward, {.x = x.data(), .w = w.data(), .y = y_wino.data()});
  const int64_t after_wino = k::conv2d_fast_cache_size();
  k::conv2d_implementation("onednn").run(d, k::ConvPass::Forward,
                                         {.x = x.data(), .w = w.data(), .y = y_direct.data()});
  EXPECT_EQ(after_wino, before + 1);
  EXPECT_EQ(k::conv2d_fast_cache_size(), before + 2);  // a second plan, not the Winograd one
  // Both algorithms compute the same sums: within twice the bound's tolerance of each other.
  double worst = 0, scale = 0;
  for (size_t i = 0; i < y_wino.size(); ++i) {
    worst = std::max(worst, double(std::fabs(y_wino[i] - y_direct[i])));
    scale = std::max(scale, double(std::fabs(y_direct[i])));
  }
  EXPECT_LE(worst, 2 * test::kSumTolerance * scale * 64);  // |terms| sum <= 64 x 9 x max|x w|
  EXPECT_GT(scale, 0.0);
}

// W4 trains the same with and without Winograd: 25 Adam steps on one batch whose per-pixel
// target (the sign of the input) is learnable; the loss curves agree to 1e-3 relative. One
// thread: OpenMP regions at 2 threads on a loaded CI machine made this take 36 s instead of 3.
TEST(Winograd, UnetSmallTrainsLikeDirect) {
  const int threads = num_threads();
  set_num_threads(1);
  Rng rng(5);
  const Tensor x = Tensor::normal({8, 1, 64, 64}, 0.0, 1.0, rng);
  std::vector<float> labels(size_t(x.numel()));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = x.data<float>()[i] > 0 ? 1.0f : 0.0f;
  const Tensor target = Tensor::from_vector(labels, Shape{8, 64, 64});

  const auto losses = [&](bool winograd) {
    const PathsGuard paths(winograd);
    auto model = nn::models::unet_small(3);
    model->train();
    optim::Adam opt(model->parameters(), {.lr = 1e-3});
    std::vector<double> curve;
    for (int step = 0; step < 25; ++step) {
      opt.zero_grad();
      const autograd::Var loss = autograd::cross_entropy((*model)(autograd::Var(x)), target);
      loss.backward();
      opt.step();
      curve.push_back(loss.value().item());
    }
    return curve;
  };
  const std::vector<double> wino = losses(true), direct = losses(false);
  for (size_t i = 0; i < wino.size(); ++i)
    EXPECT_NEAR(wino[i], direct[i], 1e-3 * direct[i]) << "step " << i;
  EXPECT_LT(wino.back(), 0.75 * wino.front()) << "the loss should fall on a learnable target";
  std::printf("  loss step 0 %.5f / %.5f, step %zu %.5f / %.5f (winograd / direct)\n", wino[0],
              direct[0], wino.size() - 1, wino.back(), direct.back());
  set_num_threads(threads);
}

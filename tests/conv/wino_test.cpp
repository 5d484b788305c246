// Winograd convolutions (oneDNN F(4x4,3x3), chosen by conv2d_winograd_preferred): which layers
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
#include "kernels/conv.hpp"
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

// max |a - b| / max |b|
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / std::max(scale, 1e-30);
}

}  // namespace

TEST(Winograd, RuleTakesOnlyMeasuredWinners) {
  const PathsGuard on(true);
  using P = k::ConvPass;
  // W4 at batch 8: 32 and 64 channels in and out, all passes (bench/NOTES.md "wino").
  for (P p : {P::Forward, P::BackwardData, P::BackwardWeight}) {
    EXPECT_TRUE(k::conv2d_winograd_preferred(same3x3(8, 32, 32, 32), p));
    EXPECT_TRUE(k::conv2d_winograd_preferred(same3x3(8, 64, 32, 32), p));
    EXPECT_TRUE(k::conv2d_winograd_preferred(same3x3(32, 32, 64, 14), p));  // W2
    // 16 input channels lose in every pass at 64x64 and in backward-weights at 32x32.
    EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(8, 16, 16, 64), p));
    EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(8, 16, 32, 32), p));
    // Batch 1 (latency): the direct kernel is faster.
    EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(1, 64, 64, 16), p));
  }
  // 32 -> 16 at 64x64 gains only in backward-weights.
  EXPECT_TRUE(k::conv2d_winograd_preferred(same3x3(8, 32, 16, 64), P::BackwardWeight));
  EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(8, 32, 16, 64), P::Forward));
  // Not 3x3 stride 1, grouped, or channels not a multiple of 16: no Winograd kernel.
  k::Conv2dDesc strided = same3x3(8, 32, 32, 32);
  strided.SH = strided.SW = 2;
  k::conv2d_validate(strided);
  EXPECT_FALSE(k::conv2d_winograd_preferred(strided, P::Forward));
  k::Conv2dDesc grouped = same3x3(8, 32, 32, 32);
  grouped.G = 2;
  k::conv2d_validate(grouped);
  EXPECT_FALSE(k::conv2d_winograd_preferred(grouped, P::Forward));
  EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(8, 40, 40, 32), P::Forward));
  const PathsGuard off(false);
  EXPECT_FALSE(k::conv2d_winograd_preferred(same3x3(8, 64, 64, 16), P::Forward));
}

// Winograd transforms add rounding: measured max |wino - reference| / max |reference| on these
// layers is 3e-7 .. 1.7e-6 (printed below), so the fast tests' 1e-5 of scale still holds.
TEST(Winograd, WorkloadLayersMatchReference) {
  const PathsGuard on(true);
  const k::Conv2dDesc layers[] = {same3x3(8, 32, 32, 32), same3x3(8, 64, 32, 32),
                                  same3x3(8, 32, 64, 16), same3x3(8, 64, 64, 16),
                                  same3x3(8, 32, 16, 32), same3x3(8, 32, 64, 14)};
  for (const k::Conv2dDesc& d : layers) {
    SCOPED_TRACE(d.str());
    const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
    const int64_t nw = d.OC * d.IC * d.KH * d.KW;
    const auto x = random_buffer(nx, 11), w = random_buffer(nw, 12), b = random_buffer(d.OC, 13);
    const auto dy = random_buffer(ny, 14);

    std::vector<float> y(ny), y_ref(ny);
    k::conv2d_forward_fast(d, x.data(), w.data(), b.data(), y.data());
    k::conv2d_forward_reference<float>(d, x.data(), w.data(), b.data(), y_ref.data());
    std::vector<float> dx(nx), dx_ref(nx);
    k::conv2d_backward_data_fast(d, dy.data(), w.data(), dx.data());
    k::conv2d_backward_data_reference<float>(d, dy.data(), w.data(), dx_ref.data());
    std::vector<float> dw(nw), dw_ref(nw), db(d.OC), db_ref(d.OC);
    k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw.data(), db.data());
    k::conv2d_backward_weight_reference<float>(d, x.data(), dy.data(), dw_ref.data(),
                                               db_ref.data());
    const double ef = relative_error(y, y_ref), ed = relative_error(dx, dx_ref);
    const double ew = relative_error(dw, dw_ref);
    std::printf("  %s: relative error forward %.2e, backward data %.2e, backward weight %.2e\n",
                d.str().c_str(), ef, ed, ew);
    EXPECT_LE(ef, 1e-5);
    EXPECT_LE(ed, 1e-5);
    EXPECT_LE(ew, 1e-5);
    EXPECT_TRUE(test::close_on_scale(db, db_ref, "backward bias", "winograd"));
  }
}

// Resumed runs must repeat uninterrupted ones (CLI resume case): every pass bit for bit.
TEST(Winograd, RepeatsBitForBit) {
  const PathsGuard on(true);
  const k::Conv2dDesc d = same3x3(8, 32, 64, 14);
  ASSERT_TRUE(k::conv2d_winograd_preferred(d, k::ConvPass::BackwardWeight));
  const int64_t nx = d.N * d.IC * 196, ny = d.N * d.OC * 196, nw = d.OC * d.IC * 9;
  const auto x = random_buffer(nx, 21), w = random_buffer(nw, 22), dy = random_buffer(ny, 23);
  const auto passes = [&] {
    std::vector<float> out(size_t(ny + nx + nw + d.OC));
    float* p = out.data();
    k::conv2d_forward_fast(d, x.data(), w.data(), nullptr, p);
    k::conv2d_backward_data_fast(d, dy.data(), w.data(), p + ny);
    k::conv2d_backward_weight_fast(d, x.data(), dy.data(), p + ny + nx, p + ny + nx + nw);
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
  {
    const PathsGuard on(true);
    k::conv2d_forward_fast(d, x.data(), w.data(), nullptr, y_wino.data());
  }
  const int64_t after_wino = k::conv2d_fast_cache_size();
  {
    const PathsGuard off(false);
    k::conv2d_forward_fast(d, x.data(), w.data(), nullptr, y_direct.data());
  }
  EXPECT_EQ(after_wino, before + 1);
  EXPECT_EQ(k::conv2d_fast_cache_size(), before + 2);  // a second plan, not the Winograd one
  EXPECT_TRUE(test::close_on_scale(y_wino, y_direct, "forward", "winograd"));
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

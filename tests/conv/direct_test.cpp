// The direct convolution kernels (kernels/conv_direct*.cpp), in every instruction set this CPU
// has (AVX-512F, AVX2+FMA; a lower one forced by conv2d_direct_limit_isa), against the reference
// loops over channels 1-17, widths with and without vector tails, kernel widths 1-5, zero
// padding 0/1/2 (and wider than the kernel), batch 1-5; the rule that picks them; and the fast
// dispatch with the direct path off or limited to no ISA, which must give the same results.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "buffers.hpp"
#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;
using physcnn::test::random_buffer;

namespace {

enum class Path { Direct, FastDispatch };

// Every pass of one geometry: forward (with/without bias, with/without ReLU), backward data,
// backward weight (with/without bias gradient), compared with the reference on its scale.
void check_all_passes(k::Conv2dDesc d, Path path) {
  k::conv2d_validate(d);
  SCOPED_TRACE(d.str());
  const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
  const int64_t nw = d.OC * d.IC * d.KH * d.KW;
  const auto x = random_buffer(nx, 21), w = random_buffer(nw, 22), dy = random_buffer(ny, 23);
  const auto b = random_buffer(d.OC, 24);
  const char* name = path == Path::Direct ? "direct" : "fast";

  std::vector<float> y(ny), y_ref(ny);
  for (bool relu : {false, true})
    for (const float* pb : {b.data(), static_cast<const float*>(nullptr)}) {
      std::fill(y.begin(), y.end(), 7.0f);  // must be written, not accumulated into
      if (path == Path::Direct)
        k::conv2d_forward_direct(d, x.data(), w.data(), pb, y.data(), relu);
      else if (relu)
        k::conv2d_relu_forward_fast(d, x.data(), w.data(), pb, y.data());
      else
        k::conv2d_forward_fast(d, x.data(), w.data(), pb, y.data());
      if (relu)
        k::conv2d_relu_forward_reference<float>(d, x.data(), w.data(), pb, y_ref.data());
      else
        k::conv2d_forward_reference<float>(d, x.data(), w.data(), pb, y_ref.data());
      EXPECT_TRUE(test::close_on_scale(y, y_ref, relu ? "forward relu" : "forward", name))
          << (pb ? "with bias" : "without bias");
    }

  std::vector<float> dx(nx, 7.0f), dx_ref(nx), dw(nw, 7.0f), dw_ref(nw), db(d.OC, 7.0f),
      db_ref(d.OC), dw2(nw, 7.0f);
  if (path == Path::Direct) {
    k::conv2d_backward_data_direct(d, dy.data(), w.data(), dx.data());
    k::conv2d_backward_weight_direct(d, x.data(), dy.data(), dw.data(), db.data());
    k::conv2d_backward_weight_direct(d, x.data(), dy.data(), dw2.data(), nullptr);
  } else {
    k::conv2d_backward_data_fast(d, dy.data(), w.data(), dx.data());
    k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw.data(), db.data());
    k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw2.data(), nullptr);
  }
  k::conv2d_backward_data_reference<float>(d, dy.data(), w.data(), dx_ref.data());
  k::conv2d_backward_weight_reference<float>(d, x.data(), dy.data(), dw_ref.data(), db_ref.data());
  EXPECT_TRUE(test::close_on_scale(dx, dx_ref, "backward data", name));
  EXPECT_TRUE(test::close_on_scale(dw, dw_ref, "backward weight", name));
  EXPECT_TRUE(test::close_on_scale(db, db_ref, "backward bias", name));
  EXPECT_TRUE(test::close_on_scale(dw2, dw_ref, "backward weight without bias", name));
}

k::Conv2dDesc square(int64_t n, int64_t ic, int64_t oc, int64_t h, int64_t w, int64_t kernel,
                     int64_t pad) {
  return {.N = n,
          .IC = ic,
          .IH = h,
          .IW = w,
          .OC = oc,
          .KH = kernel,
          .KW = kernel,
          .PH = {pad, pad},
          .PW = {pad, pad}};
}

// Limits the direct kernels to an instruction set for one scope (tests run one at a time).
struct IsaLimit {
  explicit IsaLimit(k::DirectIsa isa) { k::conv2d_direct_limit_isa(isa); }
  ~IsaLimit() { k::conv2d_direct_limit_isa(k::DirectIsa::Avx512); }
};

const char* isa_name(k::DirectIsa isa) {
  return isa == k::DirectIsa::Avx512 ? "AVX-512" : isa == k::DirectIsa::Avx2 ? "AVX2" : "none";
}

// The instruction sets of the direct kernels this CPU runs, each to be tested.
std::vector<k::DirectIsa> cpu_isas() {
  std::vector<k::DirectIsa> isas;
  for (k::DirectIsa isa : {k::DirectIsa::Avx2, k::DirectIsa::Avx512}) {
    IsaLimit limit(isa);
    if (k::conv2d_direct_isa() == isa) isas.push_back(isa);
  }
  return isas;
}

// Sets FastPaths::winograd for one scope.
struct WinogradSwitch {
  explicit WinogradSwitch(bool on) : saved(k::fast_paths()) {
    k::FastPaths p = saved;
    p.winograd = on;
    k::set_fast_paths(p);
  }
  ~WinogradSwitch() { k::set_fast_paths(saved); }
  k::FastPaths saved;
};

// Runs `body` once per instruction set of cpu_isas(), limited to it; the AVX2 set twice, with
// its Winograd F(2x2,3x3) forward (3x3 layers with >= 8 input channels) off and on.
template <class F>
void for_each_isa(F&& body) {
  const auto isas = cpu_isas();
  if (isas.empty()) GTEST_SKIP() << "this CPU has neither AVX-512F nor AVX2+FMA";
  for (k::DirectIsa isa : isas)
    for (bool winograd : {false, true}) {
      if (winograd && isa != k::DirectIsa::Avx2) continue;
      IsaLimit limit(isa);
      WinogradSwitch wino(winograd);
      SCOPED_TRACE(std::string(isa_name(isa)) + (winograd ? " with Winograd" : ""));
      body();
    }
}

}  // namespace

TEST(ConvDirect, CpuIsaIsTested) {
  // On x86-64 with AVX2 (every CI machine) at least one path must run, or the tests below skip.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_FALSE(cpu_isas().empty());
  }
  if (__builtin_cpu_supports("avx512f")) {
    EXPECT_EQ(cpu_isas(), (std::vector{k::DirectIsa::Avx2, k::DirectIsa::Avx512}));
  }
}

TEST(ConvDirect, ChannelsWidthsPaddingsMatchReference) {
  // Widths: 1 vector with a tail (9), 16 + 2 (18 -> 16 with a 3x3 and pad 0), the W5 rows
  // 62/60/28/26 (tails of 14/12/12/10 lanes of 16, 6/4/4/2 of 8), and > 64 columns (several row
  // chunks, 70).
  for_each_isa([] {
    int64_t row = 0;
    for (int64_t ic : {1, 3, 10, 17})
      for (int64_t oc : {1, 5, 10, 16, 17})
        for (int64_t pad : {0, 1}) {
          const int64_t widths[] = {9, 18, 28, 62, 70};
          const int64_t width = widths[row % 5];
          const int64_t n = 1 + row % 5;
          ++row;
          check_all_passes(square(n, ic, oc, 7 + row % 3, width, 3, pad), Path::Direct);
        }
  });
}

TEST(ConvDirect, EveryKernelWidthAndRegisterBlock) {
  // Kernel widths 1-5 with 1-9 output channels: every register block size of both ISAs (forward
  // up to 8 channels, split evenly; weight gradient up to 8 for KW 1 down to 2 for KW 4-5), and
  // output widths whose first row chunk has 1-4 vectors of 8 or 16 lanes, with and without tail.
  for_each_isa([] {
    const int64_t widths[] = {5, 12, 20, 29, 40, 48, 64, 67};
    int64_t row = 0;
    for (int64_t kw = 1; kw <= 5; ++kw)
      for (int64_t oc = 1; oc <= 9; ++oc, ++row) {
        const int64_t ow = widths[row % 8];
        const int64_t pad = row % 3 == 0 ? kw / 2 : 0;
        k::Conv2dDesc d{.N = 1 + row % 2,
                        .IC = 1 + row % 4,
                        .IH = 4 + kw,
                        .IW = ow + kw - 1 - 2 * pad,
                        .OC = oc,
                        .KH = 1 + (kw + row) % 3,
                        .KW = kw,
                        .PH = {pad, pad},
                        .PW = {pad, pad}};
        check_all_passes(d, Path::Direct);
      }
  });
}

TEST(ConvDirect, KernelWidthsAndAsymmetricPadding) {
  // 1x1, 5x5 (LeNet-like with pad 2), non-square 2x4 with asymmetric padding, a padding wider
  // than the kernel's reach (negative padding in the transposed geometry of backward data), and
  // a 4x5 kernel on an input as small as the kernel.
  for_each_isa([] {
    check_all_passes(square(2, 6, 7, 8, 21, 1, 0), Path::Direct);
    check_all_passes(square(3, 1, 6, 12, 28, 5, 2), Path::Direct);
    check_all_passes({.N = 2,
                      .IC = 4,
                      .IH = 13,
                      .IW = 35,
                      .OC = 9,
                      .KH = 2,
                      .KW = 4,
                      .PH = {1, 0},
                      .PW = {3, 1}},
                     Path::Direct);
    check_all_passes(square(1, 2, 3, 3, 4, 3, 4), Path::Direct);
    check_all_passes({.N = 2, .IC = 3, .IH = 4, .IW = 5, .OC = 12, .KH = 4, .KW = 5}, Path::Direct);
  });
}

TEST(ConvDirect, W5LayersMatchReference) {
  for_each_isa([] {
    check_all_passes(square(2, 3, 10, 64, 64, 3, 0), Path::Direct);
    check_all_passes(square(2, 10, 10, 62, 62, 3, 0), Path::Direct);
    check_all_passes(square(3, 10, 10, 28, 28, 3, 0), Path::Direct);
  });
}

TEST(ConvDirect, WinogradTilesPaddingsAndChannels) {
  // The Winograd forward's edges: odd output sizes (a half-used last tile row and column), tile
  // rows of 1-3 vectors of 8 tiles with and without unused lanes (output widths 1-48), register
  // blocks of 1-5 output channels (1-17 channels), zero padding 0-2, asymmetric and wider than
  // the kernel (negative in backward data's transposed geometry), inputs as small as the kernel.
  for_each_isa([] {
    const int64_t widths[] = {3, 4, 5, 17, 18, 33, 34, 50};
    int64_t row = 0;
    for (int64_t ic : {8, 9, 12, 16})
      for (int64_t oc : {1, 2, 4, 6, 9, 13, 17}) {
        const int64_t pad = row % 3, w = widths[row % 8] - 2 + 2 * ((row / 8) % 2);
        ++row;
        check_all_passes({.N = 1 + row % 3,
                          .IC = ic,
                          .IH = 3 + row % 6,
                          .IW = std::max<int64_t>(w, 3),
                          .OC = oc,
                          .KH = 3,
                          .KW = 3,
                          .PH = {pad, (pad + row) % 3},
                          .PW = {(pad + 1) % 3, pad}},
                         Path::Direct);
      }
    check_all_passes(square(2, 8, 9, 7, 11, 3, 4), Path::Direct);
    check_all_passes(square(1, 8, 8, 3, 3, 3, 0), Path::Direct);
  });
}

TEST(ConvDirect, WinogradRule) {
  const auto desc = [](int64_t ic, int64_t kernel, int64_t stride) {
    k::Conv2dDesc d = square(4, ic, 10, 20, 20, kernel, 1);
    d.SH = d.SW = stride;
    k::conv2d_validate(d);
    return d;
  };
  for (k::DirectIsa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(isa_name(isa));
    const bool avx2 = isa == k::DirectIsa::Avx2;
    EXPECT_EQ(k::conv2d_direct_winograd(desc(10, 3, 1)), avx2);
    EXPECT_EQ(k::conv2d_direct_winograd(desc(8, 3, 1)), avx2);
    EXPECT_FALSE(k::conv2d_direct_winograd(desc(1, 3, 1)));  // measured loss at one channel
    EXPECT_FALSE(k::conv2d_direct_winograd(desc(10, 5, 1)));
    EXPECT_FALSE(k::conv2d_direct_winograd(desc(10, 3, 2)));
    WinogradSwitch off(false);
    EXPECT_FALSE(k::conv2d_direct_winograd(desc(10, 3, 1)));
  }
  IsaLimit none(k::DirectIsa::None);
  EXPECT_FALSE(k::conv2d_direct_winograd(desc(10, 3, 1)));
}

TEST(ConvDirect, RejectsGeometriesItDoesNotImplement) {
  if (!k::conv2d_direct_available()) GTEST_SKIP() << "this CPU has neither AVX-512F nor AVX2+FMA";
  std::vector<float> buf(4096);
  k::Conv2dDesc strided = square(1, 2, 2, 9, 9, 3, 0);
  strided.SH = strided.SW = 2;
  k::conv2d_validate(strided);
  EXPECT_THROW(
      k::conv2d_forward_direct(strided, buf.data(), buf.data(), nullptr, buf.data(), false),
      UsageError);
  k::Conv2dDesc wide = square(1, 2, 2, 9, 9, 7, 0);
  k::conv2d_validate(wide);
  try {
    k::conv2d_backward_weight_direct(wide, buf.data(), buf.data(), buf.data(), nullptr);
    ADD_FAILURE() << "a 7-wide kernel was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel width 7"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(k::conv2d_direct_preferred(strided, k::ConvPass::Forward));
  EXPECT_FALSE(k::conv2d_direct_preferred(wide, k::ConvPass::BackwardWeight));
}

TEST(ConvDirect, RuleAndSwitches) {
  const k::Conv2dDesc w5 = [] {
    k::Conv2dDesc d = square(32, 10, 10, 62, 62, 3, 0);
    k::conv2d_validate(d);
    return d;
  }();
  const k::FastPaths saved = k::fast_paths();
  // The measured rule on other workload layers (bench/NOTES.md "direct" and "avx2"): thin inputs
  // take the direct forward (AVX2: up to 16 outputs) and weight gradient but not the data
  // gradient; 16k channels stay on oneDNN, except the AVX2 weight gradient of 16->16 3x3.
  const auto desc = [](int64_t ic, int64_t oc, int64_t hw, int64_t kernel, int64_t pad) {
    k::Conv2dDesc d = square(8, ic, oc, hw, hw, kernel, pad);
    k::conv2d_validate(d);
    return d;
  };
  const k::Conv2dDesc w2 = desc(1, 32, 28, 3, 1), w4 = desc(16, 16, 64, 3, 1);
  const k::Conv2dDesc w4_thin = desc(1, 16, 64, 3, 1), w1 = desc(6, 16, 14, 5, 0);
  const auto passes = {k::ConvPass::Forward, k::ConvPass::BackwardData,
                       k::ConvPass::BackwardWeight};
  for (k::DirectIsa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(isa_name(isa));
    const bool avx2 = isa == k::DirectIsa::Avx2;
    for (auto pass : passes) EXPECT_TRUE(k::conv2d_direct_preferred(w5, pass));
    EXPECT_EQ(k::conv2d_direct_preferred(w2, k::ConvPass::Forward), !avx2);
    EXPECT_TRUE(k::conv2d_direct_preferred(w2, k::ConvPass::BackwardWeight));
    EXPECT_FALSE(k::conv2d_direct_preferred(w2, k::ConvPass::BackwardData));
    EXPECT_TRUE(k::conv2d_direct_preferred(w4_thin, k::ConvPass::Forward));
    EXPECT_TRUE(k::conv2d_direct_preferred(w4_thin, k::ConvPass::BackwardWeight));
    EXPECT_FALSE(k::conv2d_direct_preferred(w4_thin, k::ConvPass::BackwardData));
    // AVX2: W4's 16->16 @64 forward and backward data run as Winograd in the direct path.
    EXPECT_EQ(k::conv2d_direct_preferred(w4, k::ConvPass::Forward), avx2);
    EXPECT_EQ(k::conv2d_direct_preferred(w4, k::ConvPass::BackwardData), avx2);
    EXPECT_EQ(k::conv2d_direct_preferred(w4, k::ConvPass::BackwardWeight), avx2);
    {
      WinogradSwitch off(false);
      EXPECT_FALSE(k::conv2d_direct_preferred(w4, k::ConvPass::Forward));
      EXPECT_FALSE(k::conv2d_direct_preferred(w4, k::ConvPass::BackwardData));
    }
    // Rows narrower than 24 outputs (one vector of tiles) stay on oneDNN: W4 32->64 @16, W3
    // 16->32 @18; so do the weight gradients of wide layers.
    const k::Conv2dDesc w4_deep = desc(32, 64, 16, 3, 1), w3 = desc(16, 32, 18, 3, 0);
    const k::Conv2dDesc w4_mid = desc(32, 32, 32, 3, 1), unmeasured = desc(128, 128, 32, 3, 1);
    for (auto pass : passes) {
      EXPECT_FALSE(k::conv2d_direct_preferred(w4_deep, pass));
      EXPECT_FALSE(k::conv2d_direct_preferred(w3, pass));
      EXPECT_FALSE(k::conv2d_direct_preferred(unmeasured, pass));  // > 64 channels: oneDNN
    }
    EXPECT_EQ(k::conv2d_direct_preferred(w4_mid, k::ConvPass::Forward), avx2);
    EXPECT_EQ(k::conv2d_direct_preferred(w4_mid, k::ConvPass::BackwardData), avx2);
    EXPECT_FALSE(k::conv2d_direct_preferred(w4_mid, k::ConvPass::BackwardWeight));
    for (auto pass : passes) {
      EXPECT_FALSE(k::conv2d_direct_preferred(w1, pass));
      EXPECT_FALSE(k::conv2d_direct_preferred(desc(1, 64, 28, 3, 1), pass));
    }
  }
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  EXPECT_FALSE(k::conv2d_direct_preferred(w5, k::ConvPass::Forward));
  k::set_fast_paths(saved);
  {
    IsaLimit none(k::DirectIsa::None);
    EXPECT_EQ(k::conv2d_direct_isa(), k::DirectIsa::None);
    EXPECT_FALSE(k::conv2d_direct_available());
    EXPECT_FALSE(k::conv2d_direct_preferred(w5, k::ConvPass::BackwardWeight));
    std::vector<float> buf(8);
    k::Conv2dDesc tiny = square(1, 1, 1, 2, 2, 1, 0);
    k::conv2d_validate(tiny);
    EXPECT_THROW(k::conv2d_forward_direct(tiny, buf.data(), buf.data(), nullptr, buf.data(), false),
                 UsageError);
  }
  EXPECT_EQ(k::conv2d_direct_available(), !cpu_isas().empty());
}

TEST(ConvDirect, FastDispatchWithAndWithoutTheDirectPath) {
  // The dispatch as it runs (direct where the rule says, in each ISA of this CPU), with the
  // switch off, and as on a CPU without AVX-512F and AVX2: all match the reference.
  k::BackendGuard fast(k::Backend::Fast);
  const k::FastPaths saved = k::fast_paths();
  const k::Conv2dDesc shapes[] = {square(3, 3, 10, 20, 30, 3, 0), square(2, 10, 10, 18, 26, 3, 1),
                                  square(2, 1, 16, 12, 34, 3, 0)};
  for (k::DirectIsa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(isa_name(isa));
    for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
  }
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
  k::set_fast_paths(saved);
  IsaLimit none(k::DirectIsa::None);
  for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
}

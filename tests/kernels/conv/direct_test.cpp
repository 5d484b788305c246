// The direct convolution kernels (kernels/conv_direct*.cpp: the entries direct_avx512,
// direct_avx2 and winograd_avx2, each run where this CPU has its ISA) against the reference
// over sweeps beyond the shared table: channels 1-17, widths with and without vector tails,
// kernel widths 1-5 and every register block, zero padding 0/1/2 (and wider than the kernel),
// batch 1-5, Winograd tiles; the rule that picks them (the dispatch limited to each ISA); and
// the dispatch with the direct path off or limited to no ISA, which must give the same results.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "kernels/conv/conv_check.hpp"
#include "kernels/conv_dispatch.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

// The direct-path entries of the implementation list, each run where this CPU has its ISA.
constexpr const char* kDirectEntries[] = {"direct_avx512", "direct_avx2", "winograd_avx2"};

// Every pass of one geometry through every direct entry this CPU runs that implements it.
void check_direct(const k::Conv2dDesc& d) {
  for (const char* name : kDirectEntries) {
    const k::ConvImpl& impl = k::conv2d_implementation(name);
    if (k::cpu_isa() >= impl.isa) test::check_entry(impl, d);
  }
}
// Every pass of one geometry through the dispatchers, whatever they choose.
void check_dispatch(k::Conv2dDesc d) {
  test::ConvOracle(d).check(test::dispatch_runner(), "dispatch");
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

// Limits the dispatch to an instruction set for one scope (tests run one at a time).
struct IsaLimit {
  explicit IsaLimit(k::Isa isa) { k::conv2d_limit_isa(isa); }
  ~IsaLimit() { k::conv2d_limit_isa(k::Isa::Avx512); }
};

// The instruction sets the dispatch can run with on this CPU and with the switches (the avx512
// switch off: an AVX-512 CPU dispatches as an AVX2 one), each tested under a limit.
std::vector<k::Isa> cpu_isas() {
  std::vector<k::Isa> isas;
  for (k::Isa isa : {k::Isa::Avx2, k::Isa::Avx512})
    if (k::conv2d_isa() >= isa) isas.push_back(isa);
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

// Whether the dispatch runs a direct-path entry for this pass.
bool direct_chosen(const k::Conv2dDesc& d, k::ConvPass pass) {
  const std::string_view name = k::conv2d_chosen(d, pass).name;
  return name == "direct_avx512" || name == "direct_avx2" || name == "winograd_avx2";
}

}  // namespace

TEST(ConvDirect, CpuIsaIsTested) {
  // Every direct kernel this CPU can run is run below: on AVX-512 machines all three entries,
  // on AVX2 ones the two AVX2 entries (CI machines have at least AVX2, or these tests skip).
  std::vector<std::string> runs;
  for (const char* name : kDirectEntries)
    if (k::cpu_isa() >= k::conv2d_implementation(name).isa) runs.emplace_back(name);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_GE(runs.size(), 2u);
  }
  if (__builtin_cpu_supports("avx512f")) {
    EXPECT_EQ(runs.size(), 3u);
    if (k::fast_paths().avx512) {
      EXPECT_EQ(cpu_isas(), (std::vector{k::Isa::Avx2, k::Isa::Avx512}));
    }
  }
}

TEST(ConvDirect, ChannelsWidthsPaddingsMatchReference) {
  // Widths: 1 vector with a tail (9), 16 + 2 (18 -> 16 with a 3x3 and pad 0), the W5 rows
  // 62/60/28/26 (tails of 14/12/12/10 lanes of 16, 6/4/4/2 of 8), and > 64 columns (several row
  // chunks, 70).
  {
    int64_t row = 0;
    for (int64_t ic : {1, 3, 10, 17})
      for (int64_t oc : {1, 5, 10, 16, 17})
        for (int64_t pad : {0, 1}) {
          const int64_t widths[] = {9, 18, 28, 62, 70};
          const int64_t width = widths[row % 5];
          const int64_t n = 1 + row % 5;
          ++row;
          check_direct(square(n, ic, oc, 7 + row % 3, width, 3, pad));
        }
  }
}

TEST(ConvDirect, EveryKernelWidthAndRegisterBlock) {
  // Kernel widths 1-5 with 1-9 output channels: every register block size of both ISAs (forward
  // up to 8 channels, split evenly; weight gradient up to 8 for KW 1 down to 2 for KW 4-5), and
  // output widths whose first row chunk has 1-4 vectors of 8 or 16 lanes, with and without tail.
  {
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
        check_direct(d);
      }
  }
}

TEST(ConvDirect, KernelWidthsAndAsymmetricPadding) {
  // 1x1, 5x5 (LeNet-like with pad 2), non-square 2x4 with asymmetric padding, a padding wider
  // than the kernel's reach (negative padding in the transposed geometry of backward data), and
  // a 4x5 kernel on an input as small as the kernel.
  {
    check_direct(square(2, 6, 7, 8, 21, 1, 0));
    check_direct(square(3, 1, 6, 12, 28, 5, 2));
    check_direct({.N = 2,
                  .IC = 4,
                  .IH = 13,
                  .IW = 35,
                  .OC = 9,
                  .KH = 2,
                  .KW = 4,
                  .PH = {1, 0},
                  .PW = {3, 1}});
    check_direct(square(1, 2, 3, 3, 4, 3, 4));
    check_direct({.N = 2, .IC = 3, .IH = 4, .IW = 5, .OC = 12, .KH = 4, .KW = 5});
  }
}

TEST(ConvDirect, WinogradTilesPaddingsAndChannels) {
  // The Winograd forward's edges: odd output sizes (a half-used last tile row and column), tile
  // rows of 1-3 vectors of 8 tiles with and without unused lanes (output widths 1-48), register
  // blocks of 1-5 output channels (1-17 channels), zero padding 0-2, asymmetric and wider than
  // the kernel (negative in backward data's transposed geometry), inputs as small as the kernel.
  {
    const int64_t widths[] = {3, 4, 5, 17, 18, 33, 34, 50};
    int64_t row = 0;
    for (int64_t ic : {8, 9, 12, 16})
      for (int64_t oc : {1, 2, 4, 6, 9, 13, 17}) {
        const int64_t pad = row % 3, w = widths[row % 8] - 2 + 2 * ((row / 8) % 2);
        ++row;
        check_direct({.N = 1 + row % 3,
                      .IC = ic,
                      .IH = 3 + row % 6,
                      .IW = std::max<int64_t>(w, 3),
                      .OC = oc,
                      .KH = 3,
                      .KW = 3,
                      .PH = {pad, (pad + row) % 3},
                      .PW = {(pad + 1) % 3, pad}});
      }
    check_direct(square(2, 8, 9, 7, 11, 3, 4));
    check_direct(square(1, 8, 8, 3, 3, 3, 0));
  }
}

TEST(ConvDirect, WinogradRule) {
  k::BackendGuard fast(k::Backend::Fast);
  const auto desc = [](int64_t ic, int64_t kernel, int64_t stride) {
    k::Conv2dDesc d = square(4, ic, 10, 20, 20, kernel, 1);
    d.SH = d.SW = stride;
    k::conv2d_validate(d);
    return d;
  };
  const auto winograd = [](const k::Conv2dDesc& d) {
    return k::conv2d_chosen(d, k::ConvPass::Forward).name == "winograd_avx2";
  };
  for (k::Isa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(k::isa_name(isa));
    const bool avx2 = isa == k::Isa::Avx2;
    EXPECT_EQ(winograd(desc(10, 3, 1)), avx2);
    EXPECT_EQ(winograd(desc(8, 3, 1)), avx2);
    EXPECT_FALSE(winograd(desc(1, 3, 1)));  // measured loss at one channel
    EXPECT_FALSE(winograd(desc(10, 5, 1)));
    EXPECT_FALSE(winograd(desc(10, 3, 2)));
    WinogradSwitch off(false);
    EXPECT_FALSE(winograd(desc(10, 3, 1)));
  }
  IsaLimit none(k::Isa::None);
  EXPECT_FALSE(winograd(desc(10, 3, 1)));
}

TEST(ConvDirect, RuleAndSwitches) {
  k::BackendGuard fast(k::Backend::Fast);
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
  for (k::Isa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(k::isa_name(isa));
    const bool avx2 = isa == k::Isa::Avx2;
    for (auto pass : passes) EXPECT_TRUE(direct_chosen(w5, pass));
    EXPECT_EQ(direct_chosen(w2, k::ConvPass::Forward), !avx2);
    EXPECT_TRUE(direct_chosen(w2, k::ConvPass::BackwardWeight));
    EXPECT_FALSE(direct_chosen(w2, k::ConvPass::BackwardData));
    EXPECT_TRUE(direct_chosen(w4_thin, k::ConvPass::Forward));
    EXPECT_TRUE(direct_chosen(w4_thin, k::ConvPass::BackwardWeight));
    EXPECT_FALSE(direct_chosen(w4_thin, k::ConvPass::BackwardData));
    // AVX2: W4's 16->16 @64 forward and backward data run as Winograd in the direct path.
    EXPECT_EQ(direct_chosen(w4, k::ConvPass::Forward), avx2);
    EXPECT_EQ(direct_chosen(w4, k::ConvPass::BackwardData), avx2);
    EXPECT_EQ(direct_chosen(w4, k::ConvPass::BackwardWeight), avx2);
    {
      WinogradSwitch off(false);
      EXPECT_FALSE(direct_chosen(w4, k::ConvPass::Forward));
      EXPECT_FALSE(direct_chosen(w4, k::ConvPass::BackwardData));
    }
    // Rows narrower than 24 outputs (one vector of tiles) stay on oneDNN: W4 32->64 @16, W3
    // 16->32 @18; so do the weight gradients of wide layers.
    const k::Conv2dDesc w4_deep = desc(32, 64, 16, 3, 1), w3 = desc(16, 32, 18, 3, 0);
    const k::Conv2dDesc w4_mid = desc(32, 32, 32, 3, 1), unmeasured = desc(128, 128, 32, 3, 1);
    for (auto pass : passes) {
      EXPECT_FALSE(direct_chosen(w4_deep, pass));
      EXPECT_FALSE(direct_chosen(w3, pass));
      EXPECT_FALSE(direct_chosen(unmeasured, pass));  // > 64 channels: oneDNN
    }
    EXPECT_EQ(direct_chosen(w4_mid, k::ConvPass::Forward), avx2);
    EXPECT_EQ(direct_chosen(w4_mid, k::ConvPass::BackwardData), avx2);
    EXPECT_FALSE(direct_chosen(w4_mid, k::ConvPass::BackwardWeight));
    for (auto pass : passes) {
      EXPECT_FALSE(direct_chosen(w1, pass));
      EXPECT_FALSE(direct_chosen(desc(1, 64, 28, 3, 1), pass));
    }
  }
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  for (auto pass : passes) EXPECT_FALSE(direct_chosen(w5, pass));
  k::set_fast_paths(saved);
  {
    IsaLimit none(k::Isa::None);
    EXPECT_EQ(k::conv2d_isa(), k::Isa::None);
    for (auto pass : passes) EXPECT_FALSE(direct_chosen(w5, pass));
  }
}

TEST(ConvDirect, FastDispatchWithAndWithoutTheDirectPath) {
  // The dispatch as it runs (direct where the rule says, in each ISA of this CPU), with the
  // switch off, and as on a CPU without AVX-512F and AVX2: all match the reference.
  k::BackendGuard fast(k::Backend::Fast);
  const k::FastPaths saved = k::fast_paths();
  const k::Conv2dDesc shapes[] = {square(3, 3, 10, 20, 30, 3, 0), square(2, 10, 10, 18, 26, 3, 1),
                                  square(2, 1, 16, 12, 34, 3, 0)};
  for (k::Isa isa : cpu_isas()) {
    IsaLimit limit(isa);
    SCOPED_TRACE(k::isa_name(isa));
    for (const auto& d : shapes) check_dispatch(d);
  }
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  for (const auto& d : shapes) check_dispatch(d);
  k::set_fast_paths(saved);
  IsaLimit none(k::Isa::None);
  for (const auto& d : shapes) check_dispatch(d);
}

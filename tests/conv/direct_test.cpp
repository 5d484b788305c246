// The direct AVX-512 convolution kernels (kernels/conv_direct.cpp) against the reference loops
// over channels 1-17, widths with and without vector tails, zero padding 0/1/2 (and wider than
// the kernel), batch 1-5; the rule that picks them; and the fast dispatch with the direct path
// off or on a CPU without AVX-512 (simulated), which must give the same results.
#include <gtest/gtest.h>

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

#define SKIP_WITHOUT_AVX512() \
  if (!k::conv2d_direct_available()) GTEST_SKIP() << "this CPU has no AVX-512F"

}  // namespace

TEST(ConvDirect, ChannelsWidthsPaddingsMatchReference) {
  SKIP_WITHOUT_AVX512();
  // Widths: 1 vector with a tail (9), exactly 16 + 2 (18 -> 16 with a 3x3 and pad 0), the W5
  // rows 62/60/28/26 (tails of 14/12/12/10), and > 64 columns (two row chunks, 70).
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
}

TEST(ConvDirect, KernelWidthsAndAsymmetricPadding) {
  SKIP_WITHOUT_AVX512();
  // 1x1, 5x5 (LeNet-like with pad 2), non-square 2x4 with asymmetric padding, a padding wider
  // than the kernel's reach (negative padding in the transposed geometry of backward data), and
  // a 4x5 kernel on an input as small as the kernel.
  check_all_passes(square(2, 6, 7, 8, 21, 1, 0), Path::Direct);
  check_all_passes(square(3, 1, 6, 12, 28, 5, 2), Path::Direct);
  check_all_passes(
      {.N = 2, .IC = 4, .IH = 13, .IW = 35, .OC = 9, .KH = 2, .KW = 4, .PH = {1, 0}, .PW = {3, 1}},
      Path::Direct);
  check_all_passes(square(1, 2, 3, 3, 4, 3, 4), Path::Direct);
  check_all_passes({.N = 2, .IC = 3, .IH = 4, .IW = 5, .OC = 12, .KH = 4, .KW = 5}, Path::Direct);
}

TEST(ConvDirect, W5LayersMatchReference) {
  SKIP_WITHOUT_AVX512();
  check_all_passes(square(2, 3, 10, 64, 64, 3, 0), Path::Direct);
  check_all_passes(square(2, 10, 10, 62, 62, 3, 0), Path::Direct);
  check_all_passes(square(3, 10, 10, 28, 28, 3, 0), Path::Direct);
}

TEST(ConvDirect, RejectsGeometriesItDoesNotImplement) {
  SKIP_WITHOUT_AVX512();
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
  if (k::conv2d_direct_available()) {
    EXPECT_TRUE(k::conv2d_direct_preferred(w5, k::ConvPass::Forward));
    EXPECT_TRUE(k::conv2d_direct_preferred(w5, k::ConvPass::BackwardData));
    EXPECT_TRUE(k::conv2d_direct_preferred(w5, k::ConvPass::BackwardWeight));
  }
  // The measured rule on other workload layers (bench/NOTES.md "direct"): thin inputs take the
  // direct forward and weight gradient but not the data gradient; 16k channels stay on oneDNN.
  const auto desc = [](int64_t ic, int64_t oc, int64_t hw, int64_t kernel, int64_t pad) {
    k::Conv2dDesc d = square(8, ic, oc, hw, hw, kernel, pad);
    k::conv2d_validate(d);
    return d;
  };
  if (k::conv2d_direct_available()) {
    const k::Conv2dDesc w2 = desc(1, 32, 28, 3, 1), w4 = desc(16, 16, 64, 3, 1);
    const k::Conv2dDesc w1 = desc(6, 16, 14, 5, 0);
    EXPECT_TRUE(k::conv2d_direct_preferred(w2, k::ConvPass::Forward));
    EXPECT_TRUE(k::conv2d_direct_preferred(w2, k::ConvPass::BackwardWeight));
    EXPECT_FALSE(k::conv2d_direct_preferred(w2, k::ConvPass::BackwardData));
    for (auto pass :
         {k::ConvPass::Forward, k::ConvPass::BackwardData, k::ConvPass::BackwardWeight}) {
      EXPECT_FALSE(k::conv2d_direct_preferred(w4, pass));
      EXPECT_FALSE(k::conv2d_direct_preferred(w1, pass));
      EXPECT_FALSE(k::conv2d_direct_preferred(desc(1, 64, 28, 3, 1), pass));
    }
  }
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  EXPECT_FALSE(k::conv2d_direct_preferred(w5, k::ConvPass::Forward));
  k::set_fast_paths(saved);
  k::conv2d_direct_simulate_no_avx512(true);
  EXPECT_FALSE(k::conv2d_direct_available());
  EXPECT_FALSE(k::conv2d_direct_preferred(w5, k::ConvPass::BackwardWeight));
  std::vector<float> buf(8);
  k::Conv2dDesc tiny = square(1, 1, 1, 2, 2, 1, 0);
  k::conv2d_validate(tiny);
  EXPECT_THROW(k::conv2d_forward_direct(tiny, buf.data(), buf.data(), nullptr, buf.data(), false),
               UsageError);
  k::conv2d_direct_simulate_no_avx512(false);
}

TEST(ConvDirect, FastDispatchWithAndWithoutTheDirectPath) {
  // The dispatch as it runs (direct where the rule says), with the switch off, and as on a CPU
  // without AVX-512: all three match the reference.
  k::BackendGuard fast(k::Backend::Fast);
  const k::FastPaths saved = k::fast_paths();
  const k::Conv2dDesc shapes[] = {square(3, 3, 10, 20, 30, 3, 0), square(2, 10, 10, 18, 26, 3, 1),
                                  square(2, 1, 16, 12, 34, 3, 0)};
  for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
  k::FastPaths off = saved;
  off.conv_direct = false;
  k::set_fast_paths(off);
  for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
  k::set_fast_paths(saved);
  k::conv2d_direct_simulate_no_avx512(true);
  for (const auto& d : shapes) check_all_passes(d, Path::FastDispatch);
  k::conv2d_direct_simulate_no_avx512(false);
}

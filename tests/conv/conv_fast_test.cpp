// The fast (oneDNN) float32 conv kernels against the reference loops over a grid of shapes,
// including the W2 (fmnist_bn) and W4 (unet_small) layers at batch 1 and 8: forward, backward
// data and backward weight/bias, within 1e-5 of the output's scale.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "buffers.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;
using physcnn::test::random_buffer;

namespace {

::testing::AssertionResult close_on_scale(const std::vector<float>& a, const std::vector<float>& b,
                                          const char* what) {
  return test::close_on_scale(a, b, what, "fast");
}

void check_conv2d(k::Conv2dDesc d, bool bias) {
  k::conv2d_validate(d);
  SCOPED_TRACE(d.str() + (bias ? " bias" : " no bias"));
  const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
  const int64_t nw = d.OC * (d.IC / d.G) * d.KH * d.KW;
  const auto x = random_buffer(nx, 1), w = random_buffer(nw, 2), b = random_buffer(d.OC, 3);
  const auto dy = random_buffer(ny, 4);
  const float* bp = bias ? b.data() : nullptr;

  std::vector<float> y_fast(ny), y_ref(ny);
  k::conv2d_forward_fast(d, x.data(), w.data(), bp, y_fast.data());
  k::conv2d_forward_reference<float>(d, x.data(), w.data(), bp, y_ref.data());
  EXPECT_TRUE(close_on_scale(y_fast, y_ref, "forward"));

  std::vector<float> dx_fast(nx), dx_ref(nx);
  k::conv2d_backward_data_fast(d, dy.data(), w.data(), dx_fast.data());
  k::conv2d_backward_data_reference<float>(d, dy.data(), w.data(), dx_ref.data());
  EXPECT_TRUE(close_on_scale(dx_fast, dx_ref, "backward data"));

  std::vector<float> dw_fast(nw), dw_ref(nw), db_fast(d.OC), db_ref(d.OC);
  k::conv2d_backward_weight_fast(d, x.data(), dy.data(), dw_fast.data(),
                                 bias ? db_fast.data() : nullptr);
  k::conv2d_backward_weight_reference<float>(d, x.data(), dy.data(), dw_ref.data(),
                                             bias ? db_ref.data() : nullptr);
  EXPECT_TRUE(close_on_scale(dw_fast, dw_ref, "backward weight"));
  if (bias) {
    EXPECT_TRUE(close_on_scale(db_fast, db_ref, "backward bias"));
  }
}

k::Conv2dDesc same3x3(int64_t n, int64_t ic, int64_t oc, int64_t hw) {
  return {
      .N = n, .IC = ic, .IH = hw, .IW = hw, .OC = oc, .KH = 3, .KW = 3, .PH = {1, 1}, .PW = {1, 1}};
}

}  // namespace

TEST(ConvFast, WorkloadShapesMatchReference) {
  for (int64_t n : {1, 8}) {
    // W2 fmnist_bn
    check_conv2d(same3x3(n, 1, 32, 28), true);
    check_conv2d(same3x3(n, 32, 64, 14), true);
    // W4 unet_small encoder/decoder
    check_conv2d(same3x3(n, 1, 16, 64), true);
    check_conv2d(same3x3(n, 16, 16, 64), true);
    check_conv2d(same3x3(n, 32, 32, 32), true);
    check_conv2d(same3x3(n, 64, 64, 16), true);
    check_conv2d(same3x3(n, 64, 32, 32), true);
  }
}

TEST(ConvFast, OtherGeometriesMatchReference) {
  // LeNet 5x5, strides, dilation, groups, depthwise, asymmetric padding, 1x1, odd sizes
  check_conv2d(
      {.N = 4, .IC = 1, .IH = 28, .IW = 28, .OC = 6, .KH = 5, .KW = 5, .PH = {2, 2}, .PW = {2, 2}},
      true);
  check_conv2d({.N = 4, .IC = 6, .IH = 14, .IW = 14, .OC = 16, .KH = 5, .KW = 5}, false);
  check_conv2d({.N = 3,
                .IC = 5,
                .IH = 17,
                .IW = 13,
                .OC = 7,
                .KH = 3,
                .KW = 3,
                .SH = 2,
                .SW = 3,
                .PH = {1, 0},
                .PW = {2, 1}},
               true);
  check_conv2d({.N = 2,
                .IC = 8,
                .IH = 15,
                .IW = 15,
                .OC = 8,
                .KH = 3,
                .KW = 3,
                .PH = {2, 2},
                .PW = {2, 2},
                .DH = 2,
                .DW = 2},
               true);
  check_conv2d({.N = 2,
                .IC = 8,
                .IH = 12,
                .IW = 12,
                .OC = 12,
                .KH = 3,
                .KW = 3,
                .PH = {1, 1},
                .PW = {1, 1},
                .G = 2},
               true);
  check_conv2d({.N = 2,
                .IC = 16,
                .IH = 12,
                .IW = 12,
                .OC = 16,
                .KH = 3,
                .KW = 3,
                .SH = 2,
                .SW = 2,
                .PH = {1, 1},
                .PW = {1, 1},
                .G = 16},
               false);
  check_conv2d({.N = 8, .IC = 16, .IH = 64, .IW = 64, .OC = 2, .KH = 1, .KW = 1}, true);
  check_conv2d({.N = 2, .IC = 3, .IH = 31, .IW = 29, .OC = 10, .KH = 3, .KW = 3}, true);
}

TEST(ConvFast, TransposedMatchesReference) {
  // W4 decoder upsampling (64->32 and 32->16, 2x2 stride 2) and a padded, output-padded case.
  for (k::ConvTranspose2dDesc d :
       {k::ConvTranspose2dDesc{
            .N = 8, .IC = 64, .IH = 16, .IW = 16, .OC = 32, .KH = 2, .KW = 2, .SH = 2, .SW = 2},
        k::ConvTranspose2dDesc{
            .N = 8, .IC = 32, .IH = 32, .IW = 32, .OC = 16, .KH = 2, .KW = 2, .SH = 2, .SW = 2},
        k::ConvTranspose2dDesc{.N = 2,
        .IC = 6,
        .IH = 7,
        .IW = 5,
        .OC = 4,
        .KH = 3,
        .KW = 3,
        .SH = 2,
        .SW = 2,
        .PH = 1,
        .PW = 1,
        .OPH = 1,
        .OPW = 0,
        .G = 2}}) {
    k::conv_transpose2d_validate(d);
    SCOPED_TRACE(d.str());
    const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
    const int64_t nw = d.IC * (d.OC / d.G) * d.KH * d.KW;
    const auto x = random_buffer(nx, 5), w = random_buffer(nw, 6), b = random_buffer(d.OC, 7);
    const auto dy = random_buffer(ny, 8);
    std::vector<float> y_fast(ny), y_ref(ny), dx_fast(nx), dx_ref(nx), dw_fast(nw), dw_ref(nw),
        db_fast(d.OC), db_ref(d.OC);
    {
      k::BackendGuard fast(k::Backend::Fast);
      k::conv_transpose2d_forward<float>(d, x.data(), w.data(), b.data(), y_fast.data());
      k::conv_transpose2d_backward_data<float>(d, dy.data(), w.data(), dx_fast.data());
      k::conv_transpose2d_backward_weight<float>(d, x.data(), dy.data(), dw_fast.data(),
                                                 db_fast.data());
    }
    k::conv_transpose2d_forward_reference<float>(d, x.data(), w.data(), b.data(), y_ref.data());
    k::conv_transpose2d_backward_data_reference<float>(d, dy.data(), w.data(), dx_ref.data());
    k::conv_transpose2d_backward_weight_reference<float>(d, x.data(), dy.data(), dw_ref.data(),
                                                         db_ref.data());
    EXPECT_TRUE(close_on_scale(y_fast, y_ref, "forward"));
    EXPECT_TRUE(close_on_scale(dx_fast, dx_ref, "backward data"));
    EXPECT_TRUE(close_on_scale(dw_fast, dw_ref, "backward weight"));
    EXPECT_TRUE(close_on_scale(db_fast, db_ref, "backward bias"));
  }
}

TEST(ConvFast, PrimitivesAreCachedPerGeometry) {
  const k::Conv2dDesc d0 = [] {
    k::Conv2dDesc d = same3x3(2, 3, 5, 9);
    k::conv2d_validate(d);
    return d;
  }();
  const auto x = random_buffer(2 * 3 * 81, 1), w = random_buffer(5 * 3 * 9, 2);
  std::vector<float> y(2 * 5 * 81);
  k::conv2d_forward_fast(d0, x.data(), w.data(), nullptr, y.data());
  const int64_t after_first = k::conv2d_fast_cache_size();
  for (int i = 0; i < 3; ++i) k::conv2d_forward_fast(d0, x.data(), w.data(), nullptr, y.data());
  EXPECT_EQ(k::conv2d_fast_cache_size(), after_first);
}

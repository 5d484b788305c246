// The float32 dispatch beyond the shared table (conv_impl_test.cpp runs every entry on it): the
// W1-W5 layers at batch 1, other geometries (strides, dilation, groups, depthwise), transposed
// convolution composed from conv2d, and the oneDNN plan cache.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "buffers.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv/conv_check.hpp"
#include "kernels/conv/conv_workload_layers.hpp"
#include "kernels/conv_dispatch.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;
using physcnn::test::random_buffer;

namespace {

// Every pass of one geometry through the dispatchers (bias is part of every check).
void check_conv2d(const k::Conv2dDesc& d, bool /*bias*/) {
  k::BackendGuard fast(k::Backend::Fast);
  test::ConvOracle(d).check(test::dispatch_runner(), "dispatch");
}

// Magnitudes, for the error bound of the transposed convolution's sums.
std::vector<float> magnitudes(const std::vector<float>& v) {
  std::vector<float> m(v.size());
  for (size_t i = 0; i < v.size(); ++i) m[i] = std::fabs(v[i]);
  return m;
}

k::Conv2dDesc same3x3(int64_t n, int64_t ic, int64_t oc, int64_t hw) {
  return {
      .N = n, .IC = ic, .IH = hw, .IW = hw, .OC = oc, .KH = 3, .KW = 3, .PH = {1, 1}, .PW = {1, 1}};
}

}  // namespace

TEST(ConvFast, WorkloadShapesAtBatchOneMatchReference) {
  // The table has the W1-W5 layers at batch 2; batch 1 (inference latency) takes other rules.
  for (const test::ConvLayer& l : test::workload_conv_layers(1)) check_conv2d(l.desc, true);
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
    // Bounds: the reference on magnitudes (per element the sum of its terms' magnitudes).
    const auto ax = magnitudes(x), aw = magnitudes(w), ab = magnitudes(b), ady = magnitudes(dy);
    std::vector<float> y_bound(ny), dx_bound(nx), dw_bound(nw), db_bound(d.OC);
    k::conv_transpose2d_forward_reference<float>(d, ax.data(), aw.data(), ab.data(),
                                                 y_bound.data());
    k::conv_transpose2d_backward_data_reference<float>(d, ady.data(), aw.data(), dx_bound.data());
    k::conv_transpose2d_backward_weight_reference<float>(d, ax.data(), ady.data(), dw_bound.data(),
                                                         db_bound.data());
    EXPECT_TRUE(test::within_sum_bound(y_fast, y_ref, y_bound, "forward", "fast"));
    EXPECT_TRUE(test::within_sum_bound(dx_fast, dx_ref, dx_bound, "backward data", "fast"));
    EXPECT_TRUE(test::within_sum_bound(dw_fast, dw_ref, dw_bound, "backward weight", "fast"));
    EXPECT_TRUE(test::within_sum_bound(db_fast, db_ref, db_bound, "backward bias", "fast"));
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
  const k::ConvImpl& onednn = k::conv2d_implementation("onednn");
  const k::ConvBuffers buf{.x = x.data(), .w = w.data(), .y = y.data()};
  onednn.run(d0, k::ConvPass::Forward, buf);
  const int64_t after_first = k::conv2d_fast_cache_size();
  for (int i = 0; i < 3; ++i) onednn.run(d0, k::ConvPass::Forward, buf);
  EXPECT_EQ(k::conv2d_fast_cache_size(), after_first);
}

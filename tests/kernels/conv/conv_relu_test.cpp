// The fused conv + bias + ReLU (autograd::conv2d_relu): the same values and gradients as
// relu(conv2d(...)) on the fast and the reference path, float64 central differences, and the
// fast kernel (oneDNN post-op) against the reference over geometries.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "support/inputs.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
namespace k = physcnn::kernels;

namespace {
using physcnn::test::random_tensor;
using physcnn::test::random_var;

struct Geometry {
  Shape x, w;
  ag::Conv2dArgs args;
  const char* name;
};

std::vector<Geometry> geometries() {
  return {
      {{2, 3, 9, 8}, {5, 3, 3, 3}, {.padding = {1, 1, 1, 1}}, "3x3 pad 1"},
      {{2, 10, 7, 7}, {10, 10, 3, 3}, {}, "W5-like 10->10 (gemm gradients)"},
      {{2, 1, 10, 10},
       {4, 1, 3, 3},
       {.padding = {1, 1, 1, 1}, .padding_mode = PadMode::Circular},
       "circular (W3)"},
      {{1, 4, 11, 9},
       {6, 2, 3, 2},
       {.stride = {2, 1}, .padding = {1, 0, 2, 1}, .groups = 2},
       "grouped, strided, asymmetric"},
      {{2, 3, 9, 9}, {4, 3, 3, 3}, {.padding = {2, 2, 2, 2}, .dilation = {2, 2}}, "dilated"},
  };
}

}  // namespace

TEST(ConvRelu, EqualsReluOfConvValuesAndGradients) {
  for (k::Backend backend : {k::Backend::Fast, k::Backend::Reference})
    for (const Geometry& g : geometries()) {
      SCOPED_TRACE(std::string(g.name) + (backend == k::Backend::Fast ? " fast" : " reference"));
      k::BackendGuard guard(backend);
      const DType dt = DType::F32;
      ag::Var x = random_var(g.x, 1, dt, true), w = random_var(g.w, 2, dt, true),
              b = random_var({g.w[0]}, 3, dt, true);
      const ag::Var y_fused = ag::conv2d_relu(x, w, b, g.args);
      const ag::Var y_plain = ag::relu(ag::conv2d(x, w, b, g.args));
      const double scale = 1.0 + std::sqrt(double(g.w.numel() / g.w[0]));
      EXPECT_LE(max_abs_diff(y_fused.value(), y_plain.value()), 1e-6 * scale);
      // Some outputs are clipped, so the mask matters.
      const Tensor yv = y_fused.value().contiguous();
      int64_t zeros = 0;
      for (int64_t i = 0; i < yv.numel(); ++i) zeros += yv.data<float>()[i] == 0.0f;
      EXPECT_GT(zeros, 0);
      EXPECT_LT(zeros, yv.numel());

      const ag::Var dir = random_var(y_fused.shape(), 4, dt, false);
      ag::sum(ag::mul(y_fused, dir)).backward();
      const Tensor gx = x.grad(), gw = w.grad(), gb = b.grad();
      x.zero_grad();
      w.zero_grad();
      b.zero_grad();
      ag::sum(ag::mul(y_plain, dir)).backward();
      EXPECT_LE(max_abs_diff(gx, x.grad()), 1e-5 * scale);
      EXPECT_LE(max_abs_diff(gw, w.grad()), 1e-4 * scale);
      EXPECT_LE(max_abs_diff(gb, b.grad()), 1e-4 * scale);
    }
}

TEST(ConvRelu, GradcheckFloat64) {
  for (const Geometry& g : geometries()) {
    SCOPED_TRACE(g.name);
    std::vector<ag::Var> in{random_var(g.x, 11, DType::F64, true),
                            random_var(g.w, 12, DType::F64, true),
                            random_var({g.w[0]}, 13, DType::F64, true)};
    const auto f = [&g](const std::vector<ag::Var>& v) {
      return ag::conv2d_relu(v[0], v[1], v[2], g.args);
    };
    // 120 sampled coordinates per input keep the test under a second.
    const ag::GradcheckResult r = ag::gradcheck(f, in, {.max_coords = 120});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_GT(r.coords_checked, 0);
  }
}

TEST(ConvRelu, FastKernelMatchesReference) {
  for (bool bias : {true, false})
    for (k::Conv2dDesc d :
         {k::Conv2dDesc{.N = 3, .IC = 10, .IH = 30, .IW = 30, .OC = 10, .KH = 3, .KW = 3},
          k::Conv2dDesc{.N = 2,
          .IC = 1,
          .IH = 28,
          .IW = 28,
          .OC = 32,
          .KH = 3,
          .KW = 3,
          .PH = {1, 1},
          .PW = {1, 1}},
          k::Conv2dDesc{.N = 2,
          .IC = 6,
          .IH = 13,
          .IW = 11,
          .OC = 4,
          .KH = 3,
          .KW = 3,
          .SH = 2,
          .SW = 2,
          .PH = {1, 0},
          .PW = {0, 1},
          .DH = 2,
          .DW = 1,
          .G = 2}}) {
      k::conv2d_validate(d);
      SCOPED_TRACE(d.str());
      const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
      const Tensor x = random_tensor({nx}, 1, DType::F32);
      const Tensor w = random_tensor({d.OC * d.IC / d.G * d.KH * d.KW}, 2, DType::F32);
      const Tensor b = random_tensor({d.OC}, 3, DType::F32);
      std::vector<float> y_fast(ny, 9.0f), y_ref(ny);
      const float* pb = bias ? b.data<float>() : nullptr;
      k::conv2d_relu_forward<float>(d, x.data<float>(), w.data<float>(), pb, y_fast.data());
      k::conv2d_relu_forward_reference<float>(d, x.data<float>(), w.data<float>(), pb,
                                              y_ref.data());
      double diff = 0, scale = 0;
      for (int64_t i = 0; i < ny; ++i) {
        EXPECT_GE(y_fast[i], 0.0f);
        diff = std::max(diff, double(std::fabs(y_fast[i] - y_ref[i])));
        scale = std::max(scale, double(std::fabs(y_ref[i])));
      }
      EXPECT_LE(diff, 1e-5 * scale);
    }
}

TEST(ConvRelu, ErrorsNameTheFusedOp) {
  const ag::Var x = random_var({2, 3, 8, 8}, 1, DType::F32, true);
  const ag::Var w = random_var({4, 2, 3, 3}, 2, DType::F32, true);
  try {
    ag::conv2d_relu(x, w, ag::Var(), {});
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv2d_relu"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2,3,8,8]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4,2,3,3]"), std::string::npos) << msg;
  }
}

// The im2col + sgemm convolution kernels (kernels/conv_gemm.cpp: forward, gradients) against the
// reference loops over a grid of geometries (strides, dilations, asymmetric and large padding, 1x1
// and 5x5 kernels, batch 1 and odd batches), and the fast dispatch on the shapes that pick them
// (W5).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/backend.hpp"
#include "kernels/conv/conv_check.hpp"
#include "kernels/conv_dispatch.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

enum class Path { Gemm, FastDispatch };

// Every pass of one geometry through the gemm entry or through the dispatchers.
void check_gradients(const k::Conv2dDesc& d, Path path) {
  if (path == Path::Gemm)
    test::check_entry(k::conv2d_implementation("gemm"), d);
  else
    test::ConvOracle(d).check(test::dispatch_runner(), "dispatch");
}

}  // namespace

TEST(ConvGemm, GridOfGeometriesMatchesReference) {
  for (int64_t n : {1, 3})
    for (int64_t ic : {1, 3, 10})
      for (int64_t s : {1, 2})
        for (int64_t dil : {1, 2})
          for (int64_t p : {0, 1, 3})
            check_gradients({.N = n,
                             .IC = ic,
                             .IH = 11,
                             .IW = 9,
                             .OC = 5,
                             .KH = 3,
                             .KW = 3,
                             .SH = s,
                             .SW = s,
                             .PH = {p, p},
                             .PW = {p, p},
                             .DH = dil,
                             .DW = dil},
                            Path::Gemm);
}

TEST(ConvGemm, AsymmetricGeometriesMatchReference) {
  // Asymmetric padding and strides, non-square kernels, 1x1, 5x5 (LeNet), padding wider than
  // the kernel reach (rows of pure padding), a kernel as large as the padded input.
  check_gradients({.N = 2,
                   .IC = 4,
                   .IH = 13,
                   .IW = 10,
                   .OC = 7,
                   .KH = 2,
                   .KW = 4,
                   .SH = 3,
                   .SW = 2,
                   .PH = {2, 0},
                   .PW = {1, 3}},
                  Path::Gemm);
  check_gradients({.N = 2, .IC = 6, .IH = 7, .IW = 8, .OC = 3, .KH = 1, .KW = 1}, Path::Gemm);
  check_gradients(
      {.N = 3, .IC = 1, .IH = 12, .IW = 12, .OC = 6, .KH = 5, .KW = 5, .PH = {2, 2}, .PW = {2, 2}},
      Path::Gemm);
  check_gradients(
      {.N = 1, .IC = 2, .IH = 3, .IW = 4, .OC = 2, .KH = 3, .KW = 3, .PH = {4, 4}, .PW = {5, 5}},
      Path::Gemm);
  check_gradients({.N = 2, .IC = 3, .IH = 5, .IW = 6, .OC = 4, .KH = 5, .KW = 6}, Path::Gemm);
}

TEST(ConvGemm, FastDispatchOnFewChannelShapes) {
  k::BackendGuard fast(k::Backend::Fast);
  // W5 tinyvgg at batch 4 (the layers that pick the gemm path) and a W1-like 6->16 that
  // stays on oneDNN.
  const k::Conv2dDesc w5a{.N = 4, .IC = 3, .IH = 64, .IW = 64, .OC = 10, .KH = 3, .KW = 3};
  const k::Conv2dDesc w5b{.N = 4, .IC = 10, .IH = 62, .IW = 62, .OC = 10, .KH = 3, .KW = 3};
  const k::Conv2dDesc w1{.N = 4, .IC = 6, .IH = 14, .IW = 14, .OC = 16, .KH = 5, .KW = 5};
  // The gemm entry's rule (the dispatch takes it where no direct entry comes first).
  const k::ConvImpl& gemm = k::conv2d_implementation("gemm");
  const auto gemm_rule = [&](const k::Conv2dDesc& d, k::ConvPass pass) {
    return gemm.supports(d, pass, k::conv2d_isa());
  };
  EXPECT_TRUE(gemm_rule(w5a, k::ConvPass::Forward));
  EXPECT_FALSE(gemm_rule(w5b, k::ConvPass::Forward));
  EXPECT_TRUE(gemm_rule(w5a, k::ConvPass::BackwardData));
  EXPECT_FALSE(gemm_rule(w5a, k::ConvPass::BackwardWeight));
  EXPECT_TRUE(gemm_rule(w5b, k::ConvPass::BackwardData));
  EXPECT_TRUE(gemm_rule(w5b, k::ConvPass::BackwardWeight));
  EXPECT_FALSE(gemm_rule(w1, k::ConvPass::BackwardData));
  EXPECT_FALSE(gemm_rule(w1, k::ConvPass::BackwardWeight));
  k::Conv2dDesc grouped = w5b;
  grouped.IC = grouped.OC = 10;
  grouped.G = 2;
  EXPECT_FALSE(gemm_rule(grouped, k::ConvPass::BackwardWeight));
  check_gradients(w5a, Path::FastDispatch);
  check_gradients(w5b, Path::FastDispatch);
  check_gradients(w1, Path::FastDispatch);
}

TEST(ConvGemm, EveryFastPathSettingMatchesReference) {
  // The dispatch under each switch setting (gemm off, oneDNN on NCHW activations) stays exact.
  k::BackendGuard fast(k::Backend::Fast);
  const k::FastPaths saved = k::fast_paths();
  for (k::FastPaths p : {k::FastPaths{.conv_gemm = false}, k::FastPaths{.conv_plain = true},
                         k::FastPaths{.conv_gemm = false, .conv_plain = true}}) {
    k::set_fast_paths(p);
    check_gradients({.N = 2, .IC = 10, .IH = 14, .IW = 13, .OC = 10, .KH = 3, .KW = 3},
                    Path::FastDispatch);
    check_gradients({.N = 2,
                     .IC = 16,
                     .IH = 9,
                     .IW = 9,
                     .OC = 32,
                     .KH = 3,
                     .KW = 3,
                     .PH = {1, 1},
                     .PW = {1, 1}},
                    Path::FastDispatch);
  }
  k::set_fast_paths(saved);
}

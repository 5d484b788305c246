// Bad convolution geometry gets a ShapeError/UsageError naming the op, the condition with its
// numbers and both shapes, never an abort or an out-of-bounds read.
#include <gtest/gtest.h>

#include "support/inputs.hpp"
#include "support/throws.hpp"

#include <string>

#include "autograd/functional.hpp"
#include "kernels/conv.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
using physcnn::test::expect_error;
using physcnn::test::zero_var;

TEST(ConvErrors, ChannelMismatchNamesBothShapes) {
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({8, 3, 32, 32}), zero_var({16, 1, 3, 3}), ag::Var(), {});
      },
      {"conv2d: input has 3 channels, weight expects 1 (input [8,3,32,32], weight [16,1,3,3])"});
}

TEST(ConvErrors, KernelLargerThanInputShowsTheFormula) {
  // A layer whose geometry does not fit its input: 7x7 kernel on a 5x5 image, no padding.
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({2, 1, 5, 5}), zero_var({4, 1, 7, 7}), ag::Var(), {});
      },
      {"conv2d: output height", "(5 + 0 + 0 - 1*(7-1) - 1)/1 + 1 < 1", "input [2,1,5,5]",
       "weight [4,1,7,7]"});
  // Dilation makes a 3x3 kernel span 9 pixels.
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({1, 2, 8, 20}), zero_var({2, 2, 3, 3}), ag::Var(),
                   {.padding = {0, 0, 0, 0}, .dilation = {4, 1}});
      },
      {"output height", "(8 + 0 + 0 - 4*(3-1) - 1)/1 + 1"});
  expect_error<ShapeError>(
      [] {
        ag::conv1d(zero_var({2, 3, 4}), zero_var({5, 3, 6}), ag::Var(), {});
      },
      {"conv1d: output width", "(4 + 0 + 0 - 1*(6-1) - 1)/1 + 1 < 1"});
}

TEST(ConvErrors, GroupsAndBias) {
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({1, 4, 6, 6}), zero_var({6, 1, 3, 3}), ag::Var(), {.groups = 4});
      },
      {"conv2d: weight has 6 output channels, not divisible by groups 4"});
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({1, 6, 6, 6}), zero_var({4, 2, 3, 3}), ag::Var(), {.groups = 2});
      },
      {"conv2d: input has 6 channels, weight expects 4 (2 groups of 2)"});
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({1, 2, 6, 6}), zero_var({4, 2, 3, 3}), zero_var({3}), {});
      },
      {"conv2d: bias [3] for 4 output channels"});
  expect_error<UsageError>(
      [] {
        ag::conv2d(zero_var({1, 2, 6, 6}), zero_var({4, 2, 3, 3}), ag::Var(), {.groups = 0});
      },
      {"groups must be positive"});
  expect_error<UsageError>(
      [] {
        ag::conv2d(zero_var({1, 2, 6, 6}), zero_var({4, 2, 3, 3}), ag::Var(), {.stride = {0, 1}});
      },
      {"conv2d: stride must be positive"});
}

TEST(ConvErrors, PaddingModeLargerThanImage) {
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({1, 1, 3, 8}), zero_var({1, 1, 3, 3}), ag::Var(),
                   {.padding = {3, 3, 1, 1}, .padding_mode = PadMode::Reflect});
      },
      {"conv2d: ", "reflect padding", "(input [1,1,3,8], weight [1,1,3,3])"});
}

TEST(ConvErrors, RankAndDtype) {
  expect_error<UsageError>(
      [] {
        ag::conv2d(ag::Var(), zero_var({4, 3, 3, 3}), ag::Var(), {});
      },
      {"conv2d: input and weight must be defined"});
  expect_error<UsageError>(
      [] {
        ag::conv_transpose2d(zero_var({1, 4, 3, 3}), ag::Var(), ag::Var(), {});
      },
      {"conv_transpose2d: input and weight must be defined"});
  expect_error<ShapeError>(
      [] {
        ag::conv2d(zero_var({2, 3, 32}), zero_var({4, 3, 3, 3}), ag::Var(), {});
      },
      {"conv2d: input must be (N,C,H,W), got [2,3,32]"});
  expect_error<UsageError>(
      [] {
        ag::conv2d(ag::Var(Tensor::zeros({1, 2, 5, 5}, DType::F64)), zero_var({1, 2, 3, 3}),
                   ag::Var(), {});
      },
      {"conv2d: input is float64, weight float32"});
}

TEST(ConvErrors, TransposedGeometry) {
  expect_error<UsageError>(
      [] {
        ag::conv_transpose2d(zero_var({1, 4, 5, 5}), zero_var({4, 2, 3, 3}), ag::Var(),
                             {.stride = {2, 2}, .output_padding = {2, 0}});
      },
      {"conv_transpose2d: output_padding (2,0) must be smaller than either stride (2,2) or "
       "dilation (1,1)"});
  expect_error<ShapeError>(
      [] {
        ag::conv_transpose2d(zero_var({1, 3, 5, 5}), zero_var({4, 2, 3, 3}), ag::Var(), {});
      },
      {"conv_transpose2d: input has 3 channels, weight expects 4 (input [1,3,5,5], weight "
       "[4,2,3,3])"});
  expect_error<ShapeError>(
      [] {
        ag::conv_transpose2d(zero_var({1, 2, 1, 1}), zero_var({2, 2, 1, 1}), ag::Var(),
                             {.padding = {1, 1}});
      },
      {"conv_transpose2d: output size", "is empty"});
}

TEST(ConvErrors, KernelDescriptorValidation) {
  kernels::Conv2dDesc d{.N = 1, .IC = 3, .IH = 4, .IW = 4, .OC = 4, .KH = 3, .KW = 3, .G = 2};
  expect_error<ShapeError>([&] { kernels::conv2d_validate(d); },
                           {"conv2d: input channels 3 not divisible by groups 2"});
  kernels::Conv2dDesc ok{.N = 1,
                         .IC = 2,
                         .IH = 4,
                         .IW = 5,
                         .OC = 4,
                         .KH = 3,
                         .KW = 3,
                         .SH = 2,
                         .PH = {1, 0},
                         .PW = {1, 1}};
  kernels::conv2d_validate(ok);
  EXPECT_EQ(ok.OH, 2);  // (4 + 1 + 0 - 2 - 1)/2 + 1
  EXPECT_EQ(ok.OW, 5);  // (5 + 2 - 2 - 1)/1 + 1
}

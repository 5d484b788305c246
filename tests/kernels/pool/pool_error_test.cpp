// Bad geometry and arguments give ShapeError/UsageError naming the op, the numbers and the
// shape, never an abort or an out-of-bounds read.
#include <gtest/gtest.h>

#include "support/inputs.hpp"
#include "support/throws.hpp"

#include <cmath>
#include <string>

#include "autograd/functional.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
using physcnn::test::expect_error;
using physcnn::test::zero_var;

TEST(PoolErrors, KernelLargerThanInput) {
  expect_error<ShapeError>(
      [] {
        ag::max_pool2d(zero_var({1, 1, 2, 2}), {.kernel = {3, 3}});
      },
      {"max_pool2d", "kernel 3x3", "padding 0x0", "input 2x2", "= 0x0", "[1,1,2,2]"});
  expect_error<ShapeError>(
      [] {
        ag::avg_pool1d(zero_var({2, 3, 3}), {.kernel = {5, 5}});
      },
      {"avg_pool1d", "kernel 5 ", "input 3 ", "[2,3,3]"});
}

TEST(PoolErrors, PaddingOverHalfKernel) {
  expect_error<ShapeError>(
      [] {
        ag::max_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {2, 2}, .padding = {2, 2}});
      },
      {"max_pool2d", "padding 2x2", "half the kernel 2x2"});
  expect_error<ShapeError>(
      [] {
        ag::avg_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {3, 3}, .padding = {0, 2}});
      },
      {"avg_pool2d", "padding 0x2", "kernel 3x3"});
}

TEST(PoolErrors, WrongRankAndBadArguments) {
  expect_error<ShapeError>(
      [] {
        ag::max_pool2d(zero_var({2, 3, 4}), {});
      },
      {"max_pool2d", "(N,C,H,W)", "[2,3,4]"});
  expect_error<ShapeError>(
      [] {
        ag::max_pool1d(zero_var({2, 3, 4, 4}), {});
      },
      {"max_pool1d", "(N,C,L)", "[2,3,4,4]"});
  expect_error<ShapeError>(
      [] {
        ag::global_avg_pool2d(zero_var({2, 3}));
      },
      {"global_avg_pool2d", "[2,3]"});
  expect_error<ShapeError>(
      [] {
        ag::global_max_pool2d(zero_var({2, 0, 3, 3}));
      },
      {"global_max_pool2d", "[2,0,3,3]"});
  expect_error<UsageError>(
      [] {
        ag::avg_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {2, 2}, .dilation = {2, 2}});
      },
      {"avg_pool2d", "dilation"});
  expect_error<UsageError>(
      [] {
        ag::max_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {2, 2}, .stride = {-1, 1}});
      },
      {"max_pool2d", "stride", "-1x1"});
  expect_error<UsageError>(
      [] {
        ag::max_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {0, 2}});
      },
      {"max_pool2d", "kernel", "0x2"});
  expect_error<UsageError>(
      [] {
        ag::max_pool2d(zero_var({1, 1, 8, 8}), {.kernel = {2, 2}, .dilation = {0, 1}});
      },
      {"max_pool2d", "dilation"});
  expect_error<ShapeError>(
      [] {
        ag::max_pool2d(zero_var({1, 0, 8, 8}), {});
      },
      {"max_pool2d", "empty", "[1,0,8,8]"});
}

TEST(UpsampleErrors, BadSizeScaleAndMode) {
  expect_error<UsageError>(
      [] {
        ag::upsample2d(zero_var({1, 1, 4, 4}), {.size = {5, 0}});
      },
      {"upsample2d", "size 5x0"});
  expect_error<UsageError>(
      [] {
        ag::upsample2d(zero_var({1, 1, 4, 4}), {.scale = {NAN, 2.0}});
      },
      {"upsample2d", "scale"});
  expect_error<UsageError>(
      [] {
        ag::upsample2d(zero_var({1, 1, 4, 4}), {.scale = {-2.0, 2.0}});
      },
      {"upsample2d", "scale -2x2"});
  expect_error<ShapeError>(
      [] {
        ag::upsample2d(zero_var({1, 1, 4, 4}), {.scale = {0.1, 1.0}});
      },
      {"upsample2d", "scale 0.1x1", "output size 0x4", "[1,1,4,4]"});
  expect_error<UsageError>(
      [] {
        ag::upsample2d(zero_var({1, 1, 4, 4}), {.align_corners = true});
      },
      {"upsample2d", "align_corners"});
  expect_error<ShapeError>(
      [] {
        ag::upsample2d(zero_var({4, 4}), {});
      },
      {"upsample2d", "(N,C,H,W)", "[4,4]"});
}

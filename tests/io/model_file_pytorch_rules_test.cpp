// Model files hold what PyTorch accepts and nothing else (issue 19): configurations PyTorch
// accepts load (ceil-mode pooling with a window larger than the input, batch norm without
// running statistics, linear on (N, C, L)); ones it refuses are refused with a clear message.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "io/model_file.hpp"
#include "support/throws.hpp"

namespace physcnn::io {
namespace {

using physcnn::test::expect_error;

ModelFile parse(const std::string& text) {
  return parse_model_file(text, "m.toml");
}

TEST(ModelFilePyTorchRules, AcceptsWhatPyTorchAccepts) {
  // nn.MaxPool2d(3, ceil_mode=True) on a 1x1 input gives one 1x1 window.
  EXPECT_EQ(parse("input = [1, 1, 1]\nlayer = [{ type = \"maxpool2d\", kernel = 3, "
                  "ceil_mode = true }]\n")
                .model->build({1, 1, 1}),
            Shape({1, 1, 1}));
  EXPECT_EQ(parse("input = [3]\nlayer = [{ type = \"batchnorm1d\", track_running_stats = false "
                  "}]\n")
                .model->build({3}),
            Shape({3}));
  EXPECT_EQ(
      parse("input = [2, 6]\nlayer = [{ type = \"linear\", out = 4 }]\n").model->build({2, 6}),
      Shape({2, 4}));
}

TEST(ModelFilePyTorchRules, RefusesWhatPyTorchRefuses) {
  // PyTorch: "stride should be greater than zero"; 0 used to run as stride = kernel.
  expect_error<UsageError>(
      [] {
        parse("input = [1, 8, 8]\nlayer = [{ type = \"maxpool2d\", kernel = 2, stride = 0 }]\n");
      },
      {"m.toml", "maxpool2d", "stride must be >= 1", "got 0"});
  expect_error<UsageError>(
      [] { parse("input = [1, 8]\nlayer = [{ type = \"avgpool1d\", kernel = 2, stride = 0 }]\n"); },
      {"m.toml", "avgpool1d", "stride must be >= 1", "got 0"});
  expect_error<UsageError>(
      [] {
        parse("input = [1, 4, 4]\nlayer = [{ type = \"upsample\", size = 8, scale = 2.0 }]\n");
      },
      {"m.toml", "upsample", "either size or scale, not both"});
  expect_error<UsageError>(
      [] {
        parse(
            "input = [1, 4, 4]\nlayer = [{ type = \"upsample\", scale = 2.0, mode = "
            "\"nearest\", align_corners = true }]\n");
      },
      {"m.toml", "upsample", "align_corners", "bilinear", "nearest"});
  expect_error<UsageError>(
      [] {
        parse(
            "input = [2, 4, 4]\nlayer = [{ type = \"conv2d\", out = 2, kernel = 1, groups = 0 "
            "}]\n");
      },
      {"m.toml", "conv2d", "groups must be >= 1, got 0"});
  expect_error<UsageError>(
      [] {
        parse("input = [2, 4]\nlayer = [{ type = \"conv1d\", out = 2, kernel = 1, groups = 0 }]\n");
      },
      {"m.toml", "conv1d", "groups must be >= 1, got 0"});
}

TEST(ModelFilePyTorchRules, WrittenPoolingFilesLoadAgain) {
  // The default stride (the kernel) is written back as a value that loads.
  const ModelFile m = parse(
      "input = [1, 8, 8]\nlayer = [{ type = \"maxpool2d\", kernel = 2 }, "
      "{ type = \"avgpool2d\", kernel = [2, 1], ceil_mode = true }]\n");
  const std::string text = model_file_text(*m.model, m.input);
  EXPECT_EQ(parse(text).model->build({1, 8, 8}), Shape({1, 2, 4}));
}

}  // namespace
}  // namespace physcnn::io

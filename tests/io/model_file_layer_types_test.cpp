// Layer options in model files: each case parses its keys (lists, "same", "none", enums), builds
// the engine's module and gives the output shape the formula gives. Every registered type's
// round trip is tests/nn/layer_contract_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "io/model_file.hpp"
#include "nn/nn.hpp"

namespace physcnn::io {
namespace {

struct Case {
  std::string type;
  std::string options;  // extra TOML lines
  Shape input;          // per sample
  std::string module;   // the engine's type_name()
  Shape output;         // per sample
  size_t params = 0;    // number of parameter tensors
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c{
      // (8 + 2*1 - 3)/1 + 1 = 8 with circular padding; 2 groups of 2 -> 4 channels
      {"conv1d",
       "out = 4\nkernel = 3\npadding = 1\npadding_mode = \"circular\"\ngroups = 2",
       {2, 8},
       "Conv1d",
       {4, 8},
       2},
      // (9 + 2 - 2*(3-1) - 1)/2 + 1 = 4 (dilation 2, stride 2), reflect padding, no bias
      {"conv2d",
       "in = 3\nout = 5\nkernel = [3, 3]\nstride = 2\npadding = [1, 1]\npadding_mode = "
       "\"reflect\"\ndilation = 2\nbias = false",
       {3, 9, 9},
       "Conv2d",
       {5, 4, 4},
       1},
      {"conv2d",
       "out = 2\nkernel = 3\npadding = \"same\"\npadding_mode = \"replicate\"",
       {1, 5, 7},
       "Conv2d",
       {2, 5, 7},
       2},
      {"conv2d", "out = 2\nkernel = 3\npadding = [0, 1, 2, 3]", {1, 5, 5}, "Conv2d", {2, 4, 8}, 2},
      // (4-1)*2 - 2*0 + (2-1) + 1 + 1 = 9 with output_padding 1
      {"conv_transpose2d",
       "out = 3\nkernel = 2\nstride = 2\noutput_padding = 1\ngroups = 1",
       {2, 4, 4},
       "ConvTranspose2d",
       {3, 9, 9},
       2},
      {"depthwise_separable_conv2d",
       "out = 6\nkernel = 3\npadding = 1",
       {3, 6, 6},
       "DepthwiseSeparableConv2d",
       {6, 6, 6},
       4},
      {"linear", "out = 3\nbias = false", {7}, "Linear", {3}, 1},
      {"batchnorm1d", "eps = 1e-3\nmomentum = \"none\"", {4, 5}, "BatchNorm1d", {4, 5}, 2},
      {"batchnorm2d",
       "features = 3\nmomentum = 0.2\naffine = false\ntrack_running_stats = false",
       {3, 4, 4},
       "BatchNorm2d",
       {3, 4, 4},
       0},
      {"dropout", "p = 0.3", {5}, "Dropout", {5}, 0},
      {"dropout2d", "p = 0.1", {2, 3, 3}, "Dropout2d", {2, 3, 3}, 0},
      // ceil((9 + 2 - 3)/2) + 1 = 5
      {"maxpool1d",
       "kernel = 3\nstride = 2\npadding = 1\nceil_mode = true",
       {2, 9},
       "MaxPool1d",
       {2, 5},
       0},
      {"avgpool1d", "kernel = 2\ncount_include_pad = false", {2, 8}, "AvgPool1d", {2, 4}, 0},
      {"maxpool2d",
       "kernel = [2, 3]\nstride = [2, 3]\ndilation = 1",
       {1, 6, 9},
       "MaxPool2d",
       {1, 3, 3},
       0},
      {"avgpool2d", "kernel = 2\nstride = 1\npadding = 1", {1, 4, 4}, "AvgPool2d", {1, 5, 5}, 0},
      {"global_avg_pool2d", "", {3, 4, 5}, "GlobalAvgPool2d", {3, 1, 1}, 0},
      {"global_max_pool2d", "", {3, 4, 5}, "GlobalMaxPool2d", {3, 1, 1}, 0},
      {"flatten", "start_dim = 1", {2, 3, 4}, "Flatten", {24}, 0},
      {"upsample",
       "scale = 2\nmode = \"bilinear\"\nalign_corners = true",
       {1, 3, 4},
       "Upsample",
       {1, 6, 8},
       0},
      {"upsample", "size = [5, 7]", {1, 3, 4}, "Upsample", {1, 5, 7}, 0},
      {"upsample", "scale = [1.0, 3.0]", {1, 3, 4}, "Upsample", {1, 3, 12}, 0},
      {"relu", "", {4}, "ReLU", {4}, 0},
      {"leaky_relu", "negative_slope = 0.2", {4}, "LeakyReLU", {4}, 0},
      {"elu", "alpha = 0.5", {4}, "ELU", {4}, 0},
      {"gelu", "approximate = \"tanh\"", {4}, "GELU", {4}, 0},
      {"sigmoid", "", {4}, "Sigmoid", {4}, 0},
      {"tanh", "", {4}, "Tanh", {4}, 0},
      {"softmax", "dim = 1", {4}, "Softmax", {4}, 0},
      {"log_softmax", "dim = -1", {2, 4}, "LogSoftmax", {2, 4}, 0},
      {"identity", "", {4}, "Identity", {4}, 0},
  };
  return c;
}

std::string shape_toml(const Shape& s) {
  std::string out = "[";
  for (int64_t i = 0; i < s.rank(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

TEST(ModelFileLayers, EveryTypeParsesAndGivesItsShape) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.type + " " + c.options);
    const std::string text = "input = " + shape_toml(c.input) + "\n[[layer]]\ntype = \"" + c.type +
                             "\"\n" + c.options + "\n";
    ModelFile mf = parse_model_file(text, c.type + ".toml");
    ASSERT_EQ(mf.model->children().size(), 1u);
    EXPECT_EQ(mf.model->children()[0].first, "0");
    EXPECT_EQ(mf.model->children()[0].second->type_name(), c.module);
    EXPECT_EQ(mf.model->build(mf.input), c.output);
    EXPECT_EQ(mf.model->named_parameters().size(), c.params);
  }
}

TEST(ModelFileLayers, MergesParse) {
  ModelFile mf = parse_model_file(R"(input = [2, 4, 4]
[[layer]]
name = "a"
type = "relu"
[[layer]]
type = "tanh"
input = "input"
[[layer]]
type = "add"
inputs = ["a", "1", "input"]
[[layer]]
type = "concat"
inputs = ["2", "a"]
)",
                                  "merges.toml");
  EXPECT_EQ(mf.model->build(mf.input), Shape({4, 4, 4}));
}

}  // namespace
}  // namespace physcnn::io

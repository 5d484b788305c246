// The model zoo's geometry through Module::summary: per-layer output shapes (TinyVGG's as in
// W5 of bench/README.md), parameter and multiply-add totals, and the formatted table.
#include <gtest/gtest.h>

#include <algorithm>

#include "nn/models/models.hpp"

using namespace physcnn;

namespace {
std::vector<Shape> shapes_of(const nn::Summary& s, const std::vector<std::string>& types = {}) {
  std::vector<Shape> out;
  for (const auto& r : s.rows)
    if (types.empty() || std::find(types.begin(), types.end(), r.type) != types.end())
      out.push_back(r.output);
  return out;
}

// Multiply-adds of a convolution: output elements x (input channels/groups) x KH x KW.
int64_t conv_macs(int64_t oc, int64_t oh, int64_t ow, int64_t icg, int64_t k) {
  return oc * oh * ow * icg * k * k;
}
}  // namespace

TEST(Models, TinyVggSummary) {
  auto m = nn::models::tinyvgg();
  const nn::Summary s = m->summary({3, 64, 64});
  // W5 of bench/README.md: conv, conv, pool, conv, conv, pool, linear.
  EXPECT_EQ(shapes_of(s, {"Conv2d", "MaxPool2d", "Linear"}), (std::vector<Shape>{{10, 62, 62},
                                                                                 {10, 60, 60},
                                                                                 {10, 30, 30},
                                                                                 {10, 28, 28},
                                                                                 {10, 26, 26},
                                                                                 {10, 13, 13},
                                                                                 {10}}));
  // Every leaf row, ReLUs and Flatten included, in execution order.
  EXPECT_EQ(shapes_of(s), (std::vector<Shape>{{10, 62, 62},
                                              {10, 62, 62},
                                              {10, 60, 60},
                                              {10, 60, 60},
                                              {10, 30, 30},
                                              {10, 28, 28},
                                              {10, 28, 28},
                                              {10, 26, 26},
                                              {10, 26, 26},
                                              {10, 13, 13},
                                              {1690},
                                              {10}}));
  ASSERT_EQ(s.rows.size(), 12u);
  EXPECT_EQ(s.rows[0].path, "conv_block_1.0");
  EXPECT_EQ(s.rows[0].type, "Conv2d");
  EXPECT_EQ(s.rows[0].params, 3 * 10 * 9 + 10);
  EXPECT_EQ(s.rows[11].path, "classifier.1");
  EXPECT_EQ(s.rows[11].params, 1690 * 10 + 10);
  EXPECT_EQ(s.output, (Shape{10}));
  const int64_t params = (3 * 90 + 10) + 3 * (10 * 90 + 10) + (16900 + 10);
  EXPECT_EQ(s.total_params, params);
  EXPECT_EQ(s.trainable_params, params);
  EXPECT_EQ(s.total_macs, conv_macs(10, 62, 62, 3, 3) + conv_macs(10, 60, 60, 10, 3) +
                              conv_macs(10, 28, 28, 10, 3) + conv_macs(10, 26, 26, 10, 3) + 16900);

  const std::string table = nn::format_summary(s);
  EXPECT_NE(table.find("conv_block_1.0 (Conv2d)"), std::string::npos) << table;
  EXPECT_NE(table.find("(10, 62, 62)"), std::string::npos) << table;
  EXPECT_NE(table.find("Total params: 19,920"), std::string::npos) << table;
  EXPECT_NE(table.find("Multiply-adds per sample: 5,608,780"), std::string::npos) << table;
}

TEST(Models, LeNet5Geometry) {
  auto m = nn::models::lenet5();
  const nn::Summary s = m->summary({1, 28, 28});
  EXPECT_EQ(shapes_of(s), (std::vector<Shape>{{6, 28, 28},
                                              {6, 28, 28},
                                              {6, 14, 14},
                                              {16, 10, 10},
                                              {16, 10, 10},
                                              {16, 5, 5},
                                              {400},
                                              {120},
                                              {120},
                                              {84},
                                              {84},
                                              {10}}));
  EXPECT_EQ(s.total_params, 61706);
}

TEST(Models, FmnistBnGeometry) {
  auto m = nn::models::fmnist_bn();
  const nn::Summary s = m->summary({1, 28, 28});
  EXPECT_EQ(shapes_of(s, {"MaxPool2d", "Flatten", "Linear"}),
            (std::vector<Shape>{{32, 14, 14}, {64, 7, 7}, {3136}, {128}, {10}}));
  EXPECT_EQ(s.total_params,
            (9 * 32 + 32) + 64 + (32 * 64 * 9 + 64) + 128 + (3136 * 128 + 128) + (128 * 10 + 10));
}

TEST(Models, IsingCnnGeometry) {
  auto m = nn::models::ising_cnn();
  const nn::Summary s = m->summary({1, 32, 32});
  EXPECT_EQ(shapes_of(s, {"Conv2d", "MaxPool2d", "GlobalAvgPool2d", "Linear"}),
            (std::vector<Shape>{{16, 32, 32}, {16, 16, 16}, {32, 16, 16}, {32, 1, 1}, {2}}));
  // Any lattice size: the global pool removes the spatial extent.
  EXPECT_EQ(m->build({1, 16, 16}), (Shape{2}));
}

TEST(Models, UNetSmallGeometry) {
  auto m = nn::models::unet_small();
  const nn::Summary s = m->summary({1, 64, 64});
  EXPECT_EQ(s.output, (Shape{2, 64, 64}));
  EXPECT_EQ(shapes_of(s, {"MaxPool2d", "ConvTranspose2d"}),
            (std::vector<Shape>{{16, 32, 32}, {32, 16, 16}, {32, 32, 32}, {16, 64, 64}}));
  // The shared pool runs twice and has two rows.
  int pools = 0;
  for (const auto& r : s.rows) pools += r.path == "pool";
  EXPECT_EQ(pools, 2);
  EXPECT_EQ(s.rows.back().path, "head");
  EXPECT_THROW(m->build({1, 30, 30}), ShapeError);  // not divisible by 4
}

TEST(Models, VggAndResNetSmall) {
  auto vgg = nn::models::vgg_small();
  const nn::Summary sv = vgg->summary({3, 32, 32});
  EXPECT_EQ(sv.output, (Shape{10}));
  EXPECT_EQ(shapes_of(sv, {"MaxPool2d", "Flatten"}),
            (std::vector<Shape>{{32, 16, 16}, {64, 8, 8}, {128, 4, 4}, {2048}}));
  EXPECT_EQ(vgg->state_dict().at("classifier.1.weight").shape(), (Shape{256, 2048}));

  auto resnet = nn::models::resnet_small();
  const nn::Summary sr = resnet->summary({3, 32, 32});
  EXPECT_EQ(sr.output, (Shape{10}));
  const auto sd = resnet->state_dict();
  EXPECT_TRUE(sd.count("layer2.0.shortcut.0.weight"));   // downsampling block
  EXPECT_FALSE(sd.count("layer1.0.shortcut.0.weight"));  // identity shortcut
  EXPECT_EQ(sd.at("layer3.1.body.3.weight").shape(), (Shape{64, 64, 3, 3}));
  EXPECT_EQ(shapes_of(sr, {"GlobalAvgPool2d"}), (std::vector<Shape>{{64, 1, 1}}));
  // Training mode forward and backward run through every block.
  Rng rng(1);
  auto y = (*resnet)(autograd::Var(Tensor::uniform({2, 3, 16, 16}, -1, 1, rng)));
  autograd::sum(y).backward();
  for (const auto& [name, p] : resnet->named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

// The lecture's count: a 15x15x3 input, ten 3x3 filters, no padding, stride 1. A standard
// convolution needs 13*13*3*3*3*10 = 45,630 multiplications; depthwise (13*13*3*9 = 4,563) plus
// pointwise (13*13*3*10 = 5,070) needs 9,633.
TEST(Models, DepthwiseSeparableMultiplyAddsAsTheLecture) {
  nn::Conv2d standard({.in = 3, .out = 10, .kernel = 3});
  const nn::Summary ss = standard.summary({3, 15, 15});
  EXPECT_EQ(ss.output, (Shape{10, 13, 13}));
  EXPECT_EQ(ss.total_macs, 45630);

  nn::DepthwiseSeparableConv2d separable({.in = 3, .out = 10, .kernel = 3});
  const nn::Summary sd = separable.summary({3, 15, 15});
  EXPECT_EQ(sd.output, (Shape{10, 13, 13}));
  ASSERT_EQ(sd.rows.size(), 2u);
  EXPECT_EQ(sd.rows[0].path, "depthwise");
  EXPECT_EQ(sd.rows[0].macs, 4563);
  EXPECT_EQ(sd.rows[1].path, "pointwise");
  EXPECT_EQ(sd.rows[1].macs, 5070);
  EXPECT_EQ(sd.total_macs, 9633);
  const std::string table = nn::format_summary(sd);
  EXPECT_NE(table.find("Multiply-adds per sample: 9,633"), std::string::npos) << table;
  // Norm and activation between add rows and the norm's parameters, no multiply-adds.
  nn::DepthwiseSeparableConv2d with_norm(
      {.in = 3, .out = 10, .kernel = 3, .norm = true, .activation = nn::BetweenActivation::ReLU});
  const nn::Summary sn = with_norm.summary({3, 15, 15});
  ASSERT_EQ(sn.rows.size(), 4u);
  EXPECT_EQ(sn.rows[1].type, "BatchNorm2d");
  EXPECT_EQ(sn.rows[2].type, "ReLU");
  EXPECT_EQ(sn.total_macs, 9633);
  EXPECT_EQ(sn.total_params, sd.total_params + 2 * 3);
}

TEST(Models, MobileNetSmall) {
  auto m = nn::models::mobilenet_small();
  const nn::Summary s = m->summary({3, 32, 32});
  EXPECT_EQ(s.output, (Shape{10}));
  EXPECT_EQ(shapes_of(s, {"Conv2d"}), (std::vector<Shape>{{16, 32, 32},
                                                          {16, 32, 32},
                                                          {32, 32, 32},
                                                          {32, 16, 16},
                                                          {64, 16, 16},
                                                          {64, 16, 16},
                                                          {64, 16, 16},
                                                          {64, 8, 8},
                                                          {128, 8, 8},
                                                          {128, 8, 8},
                                                          {128, 8, 8}}));
  const auto sd = m->state_dict();
  EXPECT_EQ(sd.at("features.0.depthwise.weight").shape(), (Shape{16, 1, 3, 3}));
  EXPECT_TRUE(sd.count("features.0.norm.running_var"));
  EXPECT_EQ(sd.at("features.12.pointwise.weight").shape(), (Shape{128, 128, 1, 1}));
  // Multiply-adds: the stem plus, per block, depthwise OH*OW*IC*9 and pointwise OH*OW*IC*OC.
  int64_t expected = 32 * 32 * 16 * 3 * 9 + 128 * 10;
  const int64_t ins[5] = {16, 32, 64, 64, 128}, outs[5] = {32, 64, 64, 128, 128},
                sides[5] = {32, 16, 16, 8, 8};
  for (int b = 0; b < 5; ++b)
    expected += sides[b] * sides[b] * ins[b] * 9 + sides[b] * sides[b] * ins[b] * outs[b];
  EXPECT_EQ(s.total_macs, expected);
  Rng rng(2);
  auto y = (*m)(autograd::Var(Tensor::uniform({2, 3, 16, 16}, -1, 1, rng)));
  autograd::sum(y).backward();
  for (const auto& [name, p] : m->named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

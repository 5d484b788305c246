// Every layer type: it computes what its functional op computes with the options it was given,
// reports its PyTorch type name, and lazy layers adopt the input's dtype.
#include <gtest/gtest.h>

#include <functional>

#include "autograd/functional.hpp"
#include "nn/nn.hpp"
#include "support/inputs.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
using nn::Var;

namespace {
using physcnn::test::random_var;
struct Row {
  std::string type;
  std::function<nn::ModulePtr()> make;
  Shape input, output;
  std::function<Var(const Var&)> reference;  // the op the layer must equal; may be empty
};
}  // namespace

TEST(Layers, EachLayerMatchesItsOpAndShape) {
  using std::make_shared;
  const std::vector<Row> rows{
      {"Conv1d",
       [] {
         return make_shared<nn::Conv1d>(
             nn::Conv1dOptions{.in = 2, .out = 4, .kernel = 3, .stride = 2, .padding = {1, 0}});
       },
       {2, 2, 9},
       {2, 4, 4},
       nullptr},
      {"ConvTranspose2d",
       [] {
         return make_shared<nn::ConvTranspose2d>(nn::ConvTranspose2dOptions{
             .in = 3, .out = 2, .kernel = 3, .stride = 2, .padding = 1, .output_padding = 1});
       },
       {1, 3, 4, 5},
       {1, 2, 8, 10},
       nullptr},
      {"Linear",
       [] { return make_shared<nn::Linear>(nn::LinearOptions{.in = 6, .out = 3, .bias = false}); },
       {4, 6},
       {4, 3},
       nullptr},
      {"MaxPool2d",
       [] {
         return make_shared<nn::MaxPool2d>(
             nn::Pool2dOptions{.kernel = 3, .stride = 2, .padding = 1});
       },
       {1, 2, 7, 6},
       {1, 2, 4, 3},
       [](const Var& x) {
         return ag::max_pool2d(x, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}});
       }},
      {"AvgPool2d",
       [] {
         return make_shared<nn::AvgPool2d>(nn::Pool2dOptions{.kernel = {2, 3}});
       },
       {1, 2, 6, 6},
       {1, 2, 3, 2},
       [](const Var& x) {
         return ag::avg_pool2d(x, {.kernel = {2, 3}});
       }},
      {"MaxPool1d",
       [] { return make_shared<nn::MaxPool1d>(nn::Pool1dOptions{.kernel = 2}); },
       {2, 3, 8},
       {2, 3, 4},
       nullptr},
      {"AvgPool1d",
       [] { return make_shared<nn::AvgPool1d>(nn::Pool1dOptions{.kernel = 3, .stride = 1}); },
       {2, 3, 8},
       {2, 3, 6},
       nullptr},
      {"GlobalAvgPool2d",
       [] { return make_shared<nn::GlobalAvgPool2d>(); },
       {2, 3, 4, 5},
       {2, 3, 1, 1},
       [](const Var& x) { return ag::global_avg_pool2d(x); }},
      {"GlobalMaxPool2d",
       [] { return make_shared<nn::GlobalMaxPool2d>(); },
       {2, 3, 4, 5},
       {2, 3, 1, 1},
       [](const Var& x) { return ag::global_max_pool2d(x); }},
      {"Upsample",
       [] {
         return make_shared<nn::Upsample>(nn::UpsampleOptions{.mode = nn::UpsampleMode::Bilinear});
       },
       {1, 2, 3, 4},
       {1, 2, 6, 8},
       [](const Var& x) { return ag::upsample2d(x, {.mode = ag::UpsampleMode::Bilinear}); }},
      {"ReLU",
       [] { return make_shared<nn::ReLU>(); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::relu(x); }},
      {"LeakyReLU",
       [] { return make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions{.negative_slope = 0.2}); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::leaky_relu(x, 0.2); }},
      {"ELU",
       [] { return make_shared<nn::ELU>(); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::elu(x); }},
      {"GELU",
       [] { return make_shared<nn::GELU>(); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::gelu(x); }},
      {"Sigmoid",
       [] { return make_shared<nn::Sigmoid>(); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::sigmoid(x); }},
      {"Tanh",
       [] { return make_shared<nn::Tanh>(); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::tanh(x); }},
      {"Softmax",
       [] { return make_shared<nn::Softmax>(); },
       {3, 4, 2},
       {3, 4, 2},
       [](const Var& x) { return ag::softmax(x, 1); }},
      {"LogSoftmax",
       [] { return make_shared<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = -1}); },
       {3, 4},
       {3, 4},
       [](const Var& x) { return ag::log_softmax(x, -1); }},
      {"Flatten", [] { return make_shared<nn::Flatten>(); }, {2, 3, 4, 5}, {2, 60}, nullptr},
      {"Identity",
       [] { return make_shared<nn::Identity>(); },
       {2, 3},
       {2, 3},
       [](const Var& x) { return x; }},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.type);
    nn::ModulePtr m = r.make();
    EXPECT_EQ(m->type_name(), r.type);
    const Var x = random_var(r.input, 7);
    const Var y = (*m)(x);
    EXPECT_EQ(y.shape(), r.output);
    if (r.reference) {
      EXPECT_EQ(max_abs_diff(y.value(), r.reference(x).value()), 0.0);
    }
  }
}

// Gradients of every layer: tests/nn/layer_contract_test.cpp.
TEST(Layers, LazyLayersAdoptInputDtype) {
  nn::Sequential net{
      std::make_shared<nn::Conv1d>(nn::Conv1dOptions{.out = 3, .kernel = 3, .padding = "same"}),
      std::make_shared<nn::BatchNorm1d>(),
      std::make_shared<nn::ELU>(),
      std::make_shared<nn::MaxPool1d>(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.out = 2})};
  Rng rng(3);
  const Var x(Tensor::uniform({4, 2, 6}, -1, 1, rng, DType::F64), true);
  EXPECT_EQ(net(x).shape(), (Shape{4, 2}));
  for (const auto& [name, p] : net.named_parameters()) EXPECT_EQ(p.dtype(), DType::F64) << name;
  EXPECT_EQ(net.state_dict().at("1.running_var").dtype(), DType::F64);

  nn::Sequential up{std::make_shared<nn::ConvTranspose2d>(
                        nn::ConvTranspose2dOptions{.out = 2, .kernel = 2, .stride = 2}),
                    std::make_shared<nn::DepthwiseSeparableConv2d>(
                        nn::DepthwiseSeparableConv2dOptions{.out = 3, .padding = 1})};
  const Var z(Tensor::uniform({2, 3, 3, 3}, -1, 1, rng, DType::F64), true);
  EXPECT_EQ(up(z).shape(), (Shape{2, 3, 6, 6}));
  // up weight/bias, depthwise and pointwise weight/bias, all float64
  ASSERT_EQ(up.parameters().size(), 6u);
  for (const auto& [name, p] : up.named_parameters()) EXPECT_EQ(p.dtype(), DType::F64) << name;
}

TEST(Layers, BatchNormWithoutAffineOrRunningStats) {
  nn::BatchNorm2d plain({.affine = false, .track_running_stats = false});
  const Var x = random_var({4, 3, 2, 2}, 9);
  const Tensor y = plain(x).value();
  EXPECT_TRUE(plain.state_dict().empty());  // no weight, bias or buffers at all
  // Evaluation still uses batch statistics when none are tracked (as PyTorch).
  plain.eval();
  EXPECT_LT(max_abs_diff(plain(x).value(), y), 1e-6);
  EXPECT_NEAR(mean_all(y), 0.0, 1e-6);
  // One value per channel cannot be normalised in training.
  nn::BatchNorm1d bn1({.features = 3});
  EXPECT_THROW(bn1(random_var({1, 3}, 1)), ShapeError);
}

TEST(Layers, SummaryTablePrints) {
  nn::Sequential net{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3}),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.out = 2})};
  const nn::Summary s = net.summary({1, 5, 5});
  const std::string table = nn::format_summary(s);
  EXPECT_NE(table.find("0 (Conv2d)"), std::string::npos) << table;
  EXPECT_NE(table.find("(4, 3, 3)"), std::string::npos) << table;
  EXPECT_NE(table.find("3 (Linear)"), std::string::npos) << table;
  EXPECT_EQ(s.total_params, 4 * 9 + 4 + 36 * 2 + 2);
  EXPECT_EQ(s.total_macs, 4 * 9 * 9 + 72);
  std::printf("%s", table.c_str());
}

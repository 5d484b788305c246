// The Module tree: parameter names and counts as PyTorch's state_dict keys, state_dict round trip
// and load errors, lazy layers, train/eval switching, error messages with module paths.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "support/inputs.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
using nn::Var;

namespace {
using physcnn::test::random_var;
std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, _] : m.named_parameters()) out.push_back(name);
  return out;
}

// Runs f and returns the message of the exception of type E it must throw.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}
}  // namespace

TEST(Module, LeNet5NamesShapesAndCount) {
  auto m = nn::models::lenet5();
  const std::vector<std::string> expected{
      "features.0.weight",   "features.0.bias",   "features.3.weight",   "features.3.bias",
      "classifier.1.weight", "classifier.1.bias", "classifier.3.weight", "classifier.3.bias",
      "classifier.5.weight", "classifier.5.bias"};
  EXPECT_EQ(names_of(*m), expected);
  EXPECT_EQ(m->parameter_count(), 61706);
  const auto sd = m->state_dict();
  EXPECT_EQ(sd.at("features.3.weight").shape(), (Shape{16, 6, 5, 5}));
  EXPECT_EQ(sd.at("classifier.1.weight").shape(), (Shape{120, 400}));
  for (const auto& p : m->parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(m->child("features")->child("3")->path(), "features.3");
  EXPECT_EQ(m->child("features")->child("3")->type_name(), "Conv2d");
}

TEST(Module, BatchNormBuffersInStateDict) {
  auto m = nn::models::fmnist_bn();
  const auto sd = m->state_dict();
  for (const char* key : {"features.1.weight", "features.1.bias", "features.1.running_mean",
                          "features.1.running_var", "features.1.num_batches_tracked"})
    EXPECT_TRUE(sd.count(key)) << key;
  EXPECT_EQ(sd.at("features.1.num_batches_tracked").dim(), 0);
  // Buffers are not parameters.
  for (const auto& name : names_of(*m)) EXPECT_EQ(name.find("running"), std::string::npos);
  EXPECT_EQ(sd.size(), m->named_parameters().size() + 6);
}

TEST(Module, InitialisationFollowsPyTorchBounds) {
  nn::Conv2d conv({.in = 4, .out = 32, .kernel = 3}, Rng(7));
  const double bound = 1.0 / std::sqrt(4.0 * 9.0);
  EXPECT_LE(max_abs(conv.weight().value()), bound);
  EXPECT_GT(max_abs(conv.weight().value()), 0.9 * bound);  // 1152 draws fill the interval
  EXPECT_LE(max_abs(conv.bias().value()), bound);
  // ConvTranspose2d: fan_in from weight.size(1) = out/groups, as PyTorch.
  nn::ConvTranspose2d up({.in = 64, .out = 2, .kernel = 2, .stride = 2}, Rng(7));
  EXPECT_EQ(up.weight().shape(), (Shape{64, 2, 2, 2}));
  EXPECT_GT(max_abs(up.weight().value()), 0.9 / std::sqrt(8.0));
  EXPECT_LE(max_abs(up.weight().value()), 1.0 / std::sqrt(8.0));
  // Same seed, same weights; another seed, other weights.
  nn::Conv2d same({.in = 4, .out = 32, .kernel = 3}, Rng(7)),
      other({.in = 4, .out = 32, .kernel = 3}, Rng(8));
  EXPECT_EQ(max_abs_diff(conv.weight().value(), same.weight().value()), 0.0);
  EXPECT_GT(max_abs_diff(conv.weight().value(), other.weight().value()), 0.0);
  nn::BatchNorm2d bn({.features = 3});
  EXPECT_EQ(bn.weight().value().to_vector(), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(bn.bias().value().to_vector(), (std::vector<double>{0, 0, 0}));
}

TEST(Module, StateDictRoundTrip) {
  auto a = nn::models::lenet5(1), b = nn::models::lenet5(2);
  const Var x = random_var({2, 1, 28, 28}, 3);
  const Tensor ya = (*a)(x).value();
  EXPECT_GT(max_abs_diff(ya, (*b)(x).value()), 1e-4);
  // Handles taken before the load (as an optimizer holds them) see the loaded values.
  const Var w = b->named_parameters()[0].second;
  b->load_state_dict(a->state_dict());
  EXPECT_EQ(max_abs_diff(ya, (*b)(x).value()), 0.0);
  EXPECT_EQ(max_abs_diff(w.value(), a->state_dict().at("features.0.weight")), 0.0);
  // Loading copies: changing the source afterwards leaves b alone.
  a->state_dict().at("features.0.bias").fill_(5.0);
  EXPECT_LT(max_abs(b->state_dict().at("features.0.bias")), 1.0);
}

TEST(Module, LoadStateDictErrorsNameKeysAndShapes) {
  auto m = nn::models::lenet5();
  nn::StateDict sd = m->state_dict();
  const Tensor before = sd.at("features.0.weight").clone();

  nn::StateDict bad = sd;
  bad["features.3.weight"] = Tensor::zeros({16, 1, 5, 5});
  bad.erase("classifier.5.bias");
  bad["classifier.9.weight"] = Tensor::zeros({2});
  bad["features.0.weight"] = Tensor::ones({6, 1, 5, 5});
  const std::string msg = message_of<UsageError>([&] { m->load_state_dict(bad); });
  EXPECT_NE(msg.find("features.3.weight: checkpoint has [16,1,5,5], model has [16,6,5,5]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("missing keys (1): classifier.5.bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected keys (1): classifier.9.weight"), std::string::npos) << msg;
  // Nothing was loaded: the check runs before the first copy.
  EXPECT_EQ(max_abs_diff(m->state_dict().at("features.0.weight"), before), 0.0);

  // Non-strict ignores missing and unexpected keys but never a shape mismatch.
  nn::StateDict partial = sd;
  partial.erase("classifier.5.bias");
  partial["extra"] = Tensor::zeros({1});
  partial["features.0.weight"] = Tensor::ones({6, 1, 5, 5});
  EXPECT_THROW(m->load_state_dict(partial), UsageError);
  m->load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(m->state_dict().at("features.0.weight").to_vector()[0], 1.0);
  partial["features.3.weight"] = Tensor::zeros({16, 1, 5, 5});
  EXPECT_THROW(m->load_state_dict(partial, false), UsageError);
}

TEST(Module, LazyLayersMaterialiseOnFirstForward) {
  nn::Conv2d conv({.out = 8, .kernel = 3, .padding = 1});
  EXPECT_TRUE(conv.named_parameters().empty());
  EXPECT_EQ(conv(random_var({2, 5, 9, 9}, 1)).shape(), (Shape{2, 8, 9, 9}));
  EXPECT_EQ(conv.weight().shape(), (Shape{8, 5, 3, 3}));
  EXPECT_EQ(conv.parameter_count(), 8 * 5 * 9 + 8);

  nn::Sequential net{std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.out = 4, .kernel = 3}),
                     std::make_shared<nn::BatchNorm2d>(), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Flatten>(),
                     std::make_shared<nn::Linear>(nn::LinearOptions{.out = 3})};
  EXPECT_EQ(net.parameter_count(), 0);
  EXPECT_EQ(net.build({2, 6, 6}), (Shape{3}));
  EXPECT_EQ(net.parameter_count(), (4 * 2 * 9 + 4) + (4 + 4) + (3 * 64 + 3));
  EXPECT_EQ(net.state_dict().at("1.running_mean").shape(), (Shape{4}));
  // build() ran in evaluation mode: the running statistics are untouched, the mode restored.
  EXPECT_EQ(net.state_dict().at("1.num_batches_tracked").item(), 0.0);
  EXPECT_TRUE(net.is_training());

  // A lazy model takes an eager model's checkpoint without a forward and then agrees with it.
  auto eager = nn::models::vgg_small(3);
  eager->build({3, 32, 32});
  auto lazy = nn::models::vgg_small(4);
  lazy->load_state_dict(eager->state_dict());
  eager->eval();
  lazy->eval();
  const Var x = random_var({2, 3, 32, 32}, 5);
  EXPECT_EQ(max_abs_diff((*eager)(x).value(), (*lazy)(x).value()), 0.0);
}

TEST(Module, BatchNormTrainEval) {
  nn::Sequential net{std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.features = 3})};
  auto& bn = static_cast<nn::BatchNorm2d&>(*net[0]);
  Rng rng(2);
  const Var x(add(mul(Tensor::normal({8, 3, 4, 4}, 0, 1, rng), 2.0), 3.0));
  Var y = net(x);
  // Training: per-channel batch statistics, so the output has mean ~0 and the running mean moved
  // by momentum 0.1 towards the batch mean (~3).
  EXPECT_NEAR(mean_all(y.value()), 0.0, 1e-5);
  const auto rm = bn.running_mean().to_vector();
  const auto bm = mean(x.value(), {0, 2, 3}).to_vector();
  for (size_t c = 0; c < 3; ++c) EXPECT_NEAR(rm[c], 0.1 * bm[c], 1e-6);
  EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
  net.eval();
  EXPECT_FALSE(bn.is_training());
  y = net(x);
  // Evaluation: (x - running_mean)/sqrt(running_var + eps); statistics frozen.
  const auto rv = bn.running_var().to_vector();
  EXPECT_NEAR(y.value().at({1, 2, 3, 0}),
              (x.value().at({1, 2, 3, 0}) - rm[2]) / std::sqrt(rv[2] + 1e-5), 1e-5);
  EXPECT_EQ(bn.running_mean().to_vector(), rm);
  EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
  net.train();
  EXPECT_TRUE(bn.is_training());

  // momentum = nullopt: cumulative average over the batches seen.
  nn::BatchNorm1d cumulative({.features = 2, .momentum = std::nullopt});
  const Var a(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  const Var b(Tensor::from_vector(std::vector<float>{5, 6, 7, 8}, {2, 2}));
  cumulative(a);
  cumulative(b);
  EXPECT_NEAR(cumulative.running_mean().at({0}), (2.0 + 6.0) / 2, 1e-6);
}

TEST(Module, DropoutTrainEvalAndOwnStream) {
  nn::Dropout drop({.p = 0.5}, Rng(11));
  const Var x(Tensor::ones({1000}));
  const Tensor y = drop(x).value();
  int64_t zeros = 0;
  for (double v : y.to_vector()) {
    EXPECT_TRUE(v == 0.0 || std::abs(v - 2.0) < 1e-6);
    zeros += v == 0.0;
  }
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);
  nn::Dropout again({.p = 0.5}, Rng(11));
  EXPECT_EQ(max_abs_diff(again(x).value(), y), 0.0);  // same stream, same mask
  drop.eval();
  EXPECT_EQ(max_abs_diff(drop(x).value(), x.value()), 0.0);

  nn::Dropout2d drop2d({.p = 0.5}, Rng(12));
  const Tensor z = drop2d(Var(Tensor::ones({4, 8, 3, 3}))).value();
  for (int64_t n = 0; n < 4; ++n)
    for (int64_t c = 0; c < 8; ++c)  // whole channels are kept or dropped
      EXPECT_EQ(z.at({n, c, 0, 0}), z.at({n, c, 2, 1}));
  EXPECT_THROW(drop2d(Var(Tensor::ones({4, 8}))), ShapeError);
}

TEST(Module, ErrorsNameTheModulePathAndFormula) {
  // A 5x5 convolution on a 3x3 input.
  nn::Sequential small(
      {{"features",
        std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
            std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 6, .kernel = 5})})}});
  std::string msg = message_of<ShapeError>([&] { small(Var(Tensor::zeros({1, 1, 3, 3}))); });
  EXPECT_EQ(msg.rfind("features.0 (Conv2d): kernel 5 (dilation 1) spans 5 rows but the padded "
                      "input has 3 + 0 + 0 = 3, so the output rows (3 - 5)/1 + 1 would be < 1 "
                      "(input [1,1,3,3], weight [6,1,5,5])",
                      0),
            0u)
      << msg;
  auto net = nn::models::lenet5();
  // 7x7 reaches features.3 as 6x3x3 after the pool: 3 + 0 + 0 = 3 < 5.
  msg = message_of<ShapeError>([&] { (*net)(Var(Tensor::zeros({1, 1, 7, 7}))); });
  EXPECT_EQ(msg.rfind("features.3 (Conv2d): ", 0), 0u) << msg;
  EXPECT_NE(msg.find("3 + 0 + 0 = 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[16,6,5,5]"), std::string::npos) << msg;
  // Wrong channel count names both shapes.
  msg = message_of<ShapeError>([&] { (*net)(Var(Tensor::zeros({8, 3, 28, 28}))); });
  EXPECT_EQ(msg,
            "features.0 (Conv2d): input has 3 channels, weight expects 1 (input [8,3,28,28], "
            "weight [6,1,5,5])");
  // Linear sizes that do not chain.
  msg = message_of<ShapeError>([&] { (*net)(Var(Tensor::zeros({1, 1, 32, 32}))); });
  EXPECT_EQ(msg.rfind("classifier.1 (Linear): input has 576 features, weight expects 400", 0), 0u)
      << msg;
  // A root without a path names its type.
  nn::Conv2d lone({.in = 1, .out = 1, .kernel = 3});
  msg = message_of<ShapeError>([&] { lone(Var(Tensor::zeros({1, 1, 2, 2}))); });
  EXPECT_EQ(msg.rfind("Conv2d: ", 0), 0u) << msg;
}

TEST(Module, BadOptionsAreUsageErrors) {
  EXPECT_THROW(nn::Conv2d({.in = 3, .out = 0, .kernel = 3}), UsageError);
  EXPECT_THROW(nn::Conv2d({.in = 3, .out = 4, .kernel = 3, .groups = 2}), UsageError);
  EXPECT_THROW(nn::Conv2d({.in = 3, .out = 4, .kernel = 3, .stride = 2, .padding = "same"}),
               UsageError);
  EXPECT_THROW(nn::Conv2d({.in = 3, .out = 4, .kernel = 3, .padding = {1, 2, 3}}), UsageError);
  EXPECT_THROW(nn::PadSpec::parse("full"), UsageError);
  EXPECT_THROW(nn::Linear({.in = 3}), UsageError);
  EXPECT_THROW(nn::Dropout({.p = 1.5}), UsageError);
  EXPECT_THROW(nn::MaxPool2d({.kernel = 2, .padding = 2}), UsageError);
}

TEST(Module, ConvPaddingSpecs) {
  using P = std::array<int64_t, 4>;
  EXPECT_EQ((nn::Conv2d({.in = 1, .out = 1, .kernel = 3, .padding = 1}).resolved_padding()),
            (P{1, 1, 1, 1}));
  EXPECT_EQ((nn::Conv2d({.in = 1, .out = 1, .kernel = 3, .padding = {1, 2}}).resolved_padding()),
            (P{1, 1, 2, 2}));
  EXPECT_EQ(
      (nn::Conv2d({.in = 1, .out = 1, .kernel = 3, .padding = {0, 1, 2, 0}}).resolved_padding()),
      (P{0, 1, 2, 0}));
  // "same" with an even kernel puts the extra pixel at the end, as PyTorch.
  nn::Conv2d same({.in = 1, .out = 2, .kernel = {4, 3}, .padding = "same"});
  EXPECT_EQ(same.resolved_padding(), (P{1, 2, 1, 1}));
  EXPECT_EQ(same(random_var({1, 1, 7, 5}, 1)).shape(), (Shape{1, 2, 7, 5}));
  nn::Conv2d valid({.in = 1, .out = 2, .kernel = 3, .padding = "valid"});
  EXPECT_EQ(valid(random_var({1, 1, 7, 5}, 1)).shape(), (Shape{1, 2, 5, 3}));
  nn::Conv1d same1d({.in = 2, .out = 3, .kernel = 5, .padding = "same", .dilation = 2});
  EXPECT_EQ(same1d(random_var({2, 2, 11}, 2)).shape(), (Shape{2, 3, 11}));

  // Circular padding equals a zero-padding conv on the circularly padded input (the torus).
  nn::Conv2d circ(
      {.in = 2, .out = 3, .kernel = 3, .padding = 1, .padding_mode = nn::Padding::Circular},
      Rng(3));
  nn::Conv2d plain({.in = 2, .out = 3, .kernel = 3}, Rng(3));
  const Var x = random_var({2, 2, 5, 6}, 4);
  const Tensor expected = plain(ag::pad(x, {1, 1, 1, 1}, PadMode::Circular)).value();
  EXPECT_LT(max_abs_diff(circ(x).value(), expected), 1e-5);
}

TEST(Module, ContainersResidualConcatDepthwise) {
  auto body =
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 3, .out = 3, .kernel = 3, .padding = 1});
  nn::Residual res(body, nullptr, std::make_shared<nn::ReLU>());
  const Var x = random_var({2, 3, 5, 5}, 1);
  const Tensor expected = physcnn::maximum(add((*body)(x).value(), x.value()), Tensor::zeros({1}));
  EXPECT_LT(max_abs_diff(res(x).value(), expected), 1e-6);
  EXPECT_EQ(names_of(res), (std::vector<std::string>{"body.weight", "body.bias"}));
  nn::Residual bad(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 3, .out = 4, .kernel = 1}));
  EXPECT_THROW(bad(x), ShapeError);

  nn::Concat cat({std::make_shared<nn::Identity>(),
                  std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 3, .out = 2, .kernel = 1})});
  EXPECT_EQ(cat(x).shape(), (Shape{2, 5, 5, 5}));

  nn::DepthwiseSeparableConv2d ds({.out = 8, .kernel = 3, .padding = 1});
  EXPECT_EQ(ds(x).shape(), (Shape{2, 8, 5, 5}));
  EXPECT_EQ(names_of(ds), (std::vector<std::string>{"depthwise.weight", "depthwise.bias",
                                                    "pointwise.weight", "pointwise.bias"}));
  EXPECT_EQ(ds.state_dict().at("depthwise.weight").shape(), (Shape{3, 1, 3, 3}));
  EXPECT_EQ(ds.state_dict().at("pointwise.weight").shape(), (Shape{8, 3, 1, 1}));
}

TEST(Module, ModelGradientsInFloat64) {
  // A small conv-BN-pool-linear network, every parameter checked by central differences.
  nn::Sequential net{std::make_shared<nn::Conv2d>(
                         nn::Conv2dOptions{.in = 2, .out = 3, .kernel = 3, .padding = 1}, Rng(1)),
                     std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.features = 3}),
                     std::make_shared<nn::Tanh>(),
                     std::make_shared<nn::AvgPool2d>(),
                     std::make_shared<nn::Flatten>(),
                     std::make_shared<nn::Linear>(nn::LinearOptions{.in = 12, .out = 2}, Rng(2))};
  net.to(DType::F64);
  for (const auto& p : net.parameters()) EXPECT_EQ(p.dtype(), DType::F64);
  Rng rng(5);
  std::vector<Var> inputs{Var(Tensor::uniform({3, 2, 4, 4}, -1, 1, rng, DType::F64), true)};
  for (const auto& p : net.parameters()) inputs.push_back(p);
  const auto r = ag::gradcheck([&net](const std::vector<Var>& v) { return net(v[0]); }, inputs);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_GT(r.coords_checked, 100);
}

// Issue 18, item 3: every layer output is bounded, whatever the layer (a layer of a C++ user's
// own, here): 65,536 per channel or spatial extent, 2^28 elements per sample.
namespace {
class Shaped : public nn::Module {
 public:
  explicit Shaped(Shape s) : shape_(std::move(s)) {}
  // empty: the pages of a 1 GiB output are never touched.
  Var forward(const Var&) override { return Var(Tensor::empty(shape_)); }
  std::string type_name() const override { return "Shaped"; }

 private:
  Shape shape_;
};
}  // namespace

TEST(Module, OutputsPastTheLimitsAreRefusedNamingTheLayer) {
  const Var x = random_var(Shape{1, 2}, 1);
  EXPECT_NO_THROW(Shaped(Shape{2, 1, 4, 65536})(x));
  EXPECT_NO_THROW(Shaped(Shape{1, 300000})(x));  // a flattened output: features may be many
  const std::string wide = message_of<ShapeError>([&] { Shaped(Shape{1, 1, 2, 65537})(x); });
  EXPECT_NE(wide.find("Shaped: output [1,1,2,65537] has extent 65537 in dimension 3, more than "
                      "65536"),
            std::string::npos)
      << wide;
  const std::string many = message_of<ShapeError>([&] { Shaped(Shape{1, (1 << 28) + 1})(x); });
  EXPECT_NE(many.find("268435457 elements per sample, more than 268435456"), std::string::npos)
      << many;
}

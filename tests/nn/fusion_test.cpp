// Sequential and Graph run Conv2d -> ReLU and BatchNorm -> ReLU as the fused ops: the same
// outputs and parameter gradients as layer by layer, unchanged summary rows and state_dict
// names, and errors that still name the convolution's path.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "kernels/backend.hpp"
#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/conv.hpp"
#include "nn/graph.hpp"
#include "nn/layers.hpp"
#include "nn/summary.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
namespace k = physcnn::kernels;

namespace {

// Restores the fast-path switches after a test changes them.
struct PathsGuard {
  k::FastPaths saved = k::fast_paths();
  ~PathsGuard() { k::set_fast_paths(saved); }
};

std::shared_ptr<nn::Sequential> make_model(DType dt) {
  // W3-like: circular conv -> ReLU -> pool -> conv -> ReLU, then a conv not followed by ReLU.
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{
          .in = 1, .out = 4, .kernel = 3, .padding = 1, .padding_mode = nn::Padding::Circular}),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(nn::Pool2dOptions{.kernel = 2}),
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 4, .out = 10, .kernel = 3}),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 10, .out = 3, .kernel = 1}),
  });
  m->to(dt);
  return m;
}

// Output and parameter gradients of one forward/backward with the given fusion switch.
std::pair<Tensor, std::vector<Tensor>> run(nn::Sequential& m, const Tensor& x, bool fusion) {
  k::set_fast_paths({.conv_gemm = true, .fusion = fusion});
  for (auto& [_, p] : m.named_parameters()) p.zero_grad();
  const ag::Var y = m(ag::Var(x, false));
  Rng rng(9);
  const Tensor dir = Tensor::uniform(y.shape(), -1, 1, rng, y.dtype());
  ag::sum(ag::mul(y, ag::Var(dir, false))).backward();
  std::vector<Tensor> grads;
  for (auto& [_, p] : m.named_parameters()) grads.push_back(p.grad());
  return {y.value(), grads};
}

}  // namespace

TEST(SequentialFusion, SameOutputsAndGradientsAsLayerByLayer) {
  PathsGuard guard;
  for (DType dt : {DType::F32, DType::F64}) {
    auto m = make_model(dt);
    Rng rng(3);
    const Tensor x = Tensor::uniform({3, 1, 12, 12}, -1, 1, rng, dt);
    const auto [y_fused, g_fused] = run(*m, x, true);
    const auto [y_plain, g_plain] = run(*m, x, false);
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    EXPECT_LE(max_abs_diff(y_fused, y_plain), tol);
    ASSERT_EQ(g_fused.size(), 6u);
    for (size_t i = 0; i < g_fused.size(); ++i) {
      ASSERT_TRUE(g_fused[i].defined());
      EXPECT_LE(max_abs_diff(g_fused[i], g_plain[i]), 10 * tol) << "parameter " << i;
    }
  }
}

TEST(SequentialFusion, RecordsTheFusedOpOnTheTape) {
  PathsGuard guard;
  k::set_fast_paths({.conv_gemm = true, .fusion = true});
  auto m = make_model(DType::F32);
  Rng rng(3);
  const ag::Var y0 = (*(*m)[0])(ag::Var(Tensor::uniform({1, 1, 8, 8}, -1, 1, rng), false));
  EXPECT_EQ(y0.node()->op, "conv2d");  // a Conv2d alone is unfused
  // Through Sequential the first two children are one conv2d_relu node.
  auto first_two =
      std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{(*m)[0], (*m)[1]});
  const ag::Var y = (*first_two)(ag::Var(Tensor::uniform({1, 1, 8, 8}, -1, 1, rng), false));
  EXPECT_EQ(y.node()->op, "conv2d_relu");
}

TEST(SequentialFusion, SummaryAndStateDictUnchanged) {
  PathsGuard guard;
  k::set_fast_paths({.conv_gemm = true, .fusion = true});
  auto m = make_model(DType::F32);
  const auto rows = m->summary(Shape{1, 12, 12}).rows;
  ASSERT_EQ(rows.size(), 6u);  // one row per layer, the ReLUs included
  EXPECT_EQ(rows[1].type, "ReLU");
  EXPECT_EQ(rows[4].type, "ReLU");
  std::vector<std::string> names;
  for (auto& [n, _] : m->named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "5.weight",
                                             "5.bias"}));
}

TEST(SequentialFusion, ErrorsNameTheConvolution) {
  PathsGuard guard;
  k::set_fast_paths({.conv_gemm = true, .fusion = true});
  auto m = make_model(DType::F32);
  Rng rng(3);
  try {
    (*m)(ag::Var(Tensor::uniform({1, 2, 12, 12}, -1, 1, rng), false));  // 2 channels, not 1
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("0 (Conv2d)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[1,2,12,12]"), std::string::npos) << msg;
  }
  // A failed fused call leaves the layer usable unfused.
  const ag::Var y = (*(*m)[0])(ag::Var(Tensor::uniform({1, 1, 8, 8}, -1, 1, rng), false));
  EXPECT_EQ(y.node()->op, "conv2d");
}

TEST(SequentialFusion, OnlyFusingLayersFollowedByPlainRelu) {
  PathsGuard guard;
  k::set_fast_paths({.conv_gemm = true, .fusion = true});
  nn::Conv2d conv({.in = 1, .out = 2, .kernel = 3});
  nn::BatchNorm2d bn;
  nn::ReLU relu;
  nn::LeakyReLU leaky;
  nn::Linear linear({.in = 4, .out = 2});
  EXPECT_TRUE(nn::fusable_with_relu(conv, relu));
  EXPECT_TRUE(nn::fusable_with_relu(bn, relu));
  EXPECT_FALSE(nn::fusable_with_relu(conv, leaky));
  EXPECT_FALSE(nn::fusable_with_relu(linear, relu));
  EXPECT_FALSE(nn::fusable_with_relu(relu, relu));
  k::set_fast_paths({.conv_gemm = true, .fusion = false});
  EXPECT_FALSE(nn::fusable_with_relu(conv, relu));
  EXPECT_FALSE(nn::fusable_with_relu(bn, relu));
}

// Graph fuses wherever Sequential does (one rule, nn::fusable_with_relu): a chain of Conv2d ->
// ReLU and Conv2d -> BatchNorm2d -> ReLU gives the same outputs and gradients as a Sequential
// with the same weights, and the last node's value comes from the fused op in both.
TEST(GraphFusion, FusesWhereverSequentialDoes) {
  PathsGuard guard;
  k::set_fast_paths({.conv_gemm = true, .fusion = true});
  auto layers = [] {
    return std::vector<nn::ModulePtr>{
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3}),
        std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 4, .out = 3, .kernel = 3}),
        std::make_shared<nn::BatchNorm2d>(), std::make_shared<nn::ReLU>()};
  };
  auto seq = std::make_shared<nn::Sequential>(layers());
  auto graph = std::make_shared<nn::Graph>();
  for (auto& m : layers()) graph->add(m);
  Rng rng(5);
  const Tensor x = Tensor::uniform({2, 1, 9, 9}, -1, 1, rng);
  seq->build(Shape{1, 9, 9});
  graph->build(Shape{1, 9, 9});
  graph->load_state_dict(seq->state_dict());  // keys 0.weight ... 3.running_var in both
  const ag::Var ys = (*seq)(ag::Var(x, false));
  const ag::Var yg = (*graph)(ag::Var(x, false));
  EXPECT_EQ(ys.node()->op, "batch_norm_relu");
  EXPECT_EQ(yg.node()->op, "batch_norm_relu");
  EXPECT_LE(max_abs_diff(ys.value(), yg.value()), 1e-6);
  // The first pair too: the graph's first two nodes alone.
  auto head = std::make_shared<nn::Graph>();
  head->add((*seq)[0]);
  head->add((*seq)[1]);
  EXPECT_EQ((*head)(ag::Var(x, false)).node()->op, "conv2d_relu");
  // A ReLU node that is not the only reader of the convolution stops the fusion.
  auto branch = std::make_shared<nn::Graph>();
  branch->add((*seq)[0], "conv");
  branch->add(std::make_shared<nn::ReLU>(), "relu");
  branch->add_merge(nn::Merge::Add, {"conv", "relu"});
  const ag::Var yb = (*branch)(ag::Var(x, false));
  const Tensor conv = (*(*seq)[0])(ag::Var(x, false)).value();
  EXPECT_LE(max_abs_diff(yb.value(), add(conv, ag::relu(ag::Var(conv)).value())), 1e-6);
}

TEST(SequentialFusion, BatchNormReluSameAsLayerByLayer) {
  // W2's Conv -> BatchNorm2d -> ReLU: the same outputs, gradients and running statistics as
  // layer by layer, with and without fusion.
  PathsGuard guard;
  for (DType dt : {DType::F32, DType::F64}) {
    auto make = [dt] {
      auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
          std::make_shared<nn::Conv2d>(
              nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3, .padding = 1}),
          std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.features = 4}),
          std::make_shared<nn::ReLU>(),
      });
      m->to(dt);
      return m;
    };
    auto fused_model = make(), plain_model = make();
    plain_model->load_state_dict(fused_model->state_dict());
    Rng rng(4);
    const Tensor x = Tensor::uniform({3, 1, 8, 8}, -1, 1, rng, dt);
    const auto [y_fused, g_fused] = run(*fused_model, x, true);
    const auto [y_plain, g_plain] = run(*plain_model, x, false);
    const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
    EXPECT_LE(max_abs_diff(y_fused, y_plain), tol);
    ASSERT_EQ(g_fused.size(), g_plain.size());
    for (size_t i = 0; i < g_fused.size(); ++i)
      EXPECT_LE(max_abs_diff(g_fused[i], g_plain[i]), 10 * tol) << "parameter " << i;
    auto* bn_f = dynamic_cast<nn::BatchNorm*>((*fused_model)[1].get());
    auto* bn_p = dynamic_cast<nn::BatchNorm*>((*plain_model)[1].get());
    EXPECT_LE(max_abs_diff(bn_f->running_mean(), bn_p->running_mean()), tol);
    EXPECT_LE(max_abs_diff(bn_f->running_var(), bn_p->running_var()), tol);
    // Fused in training (the run above) and in evaluation (same values).
    k::set_fast_paths({.fusion = true});
    EXPECT_EQ((*fused_model)(ag::Var(x, false)).node()->op, "batch_norm_relu");
    plain_model->load_state_dict(fused_model->state_dict());  // that forward moved the stats
    fused_model->eval();
    plain_model->eval();
    const ag::Var ye = (*fused_model)(ag::Var(x, false));
    EXPECT_EQ(ye.node()->op, "batch_norm_relu_eval");
    k::set_fast_paths({.fusion = false});
    EXPECT_LE(max_abs_diff(ye.value(), (*plain_model)(ag::Var(x, false)).value()), tol);
  }
}

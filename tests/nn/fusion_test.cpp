// Sequential runs Conv2d -> ReLU as the fused conv2d_relu: the same outputs and parameter
// gradients as layer by layer, unchanged summary rows and state_dict names, and errors that
// still name the convolution's path.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "kernels/backend.hpp"
#include "nn/activation.hpp"
#include "nn/container.hpp"
#include "nn/conv.hpp"
#include "nn/fusion.hpp"
#include "nn/layers.hpp"
#include "nn/summary.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;
namespace k = physcnn::kernels;

namespace {

// Restores the fusion switch after a test changes it.
struct PathsGuard {
  bool saved = nn::fusion_enabled();
  ~PathsGuard() { nn::set_fusion_enabled(saved); }
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
  nn::set_fusion_enabled(fusion);
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
  nn::set_fusion_enabled(true);
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
  nn::set_fusion_enabled(true);
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
  nn::set_fusion_enabled(true);
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

TEST(SequentialFusion, OnlyConv2dFollowedByPlainRelu) {
  PathsGuard guard;
  nn::set_fusion_enabled(true);
  nn::Conv2d conv({.in = 1, .out = 2, .kernel = 3});
  nn::ReLU relu;
  nn::LeakyReLU leaky;
  nn::Linear linear({.in = 4, .out = 2});
  EXPECT_EQ(nn::fusable_conv_relu(conv, relu), &conv);
  EXPECT_EQ(nn::fusable_conv_relu(conv, leaky), nullptr);
  EXPECT_EQ(nn::fusable_conv_relu(linear, relu), nullptr);
  EXPECT_EQ(nn::fusable_conv_relu(relu, relu), nullptr);
  nn::set_fusion_enabled(false);
  EXPECT_EQ(nn::fusable_conv_relu(conv, relu), nullptr);
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
    nn::set_fusion_enabled(true);
    EXPECT_EQ((*fused_model)(ag::Var(x, false)).node()->op, "batch_norm_relu");
    plain_model->load_state_dict(fused_model->state_dict());  // that forward moved the stats
    fused_model->eval();
    plain_model->eval();
    const ag::Var ye = (*fused_model)(ag::Var(x, false));
    EXPECT_EQ(ye.node()->op, "batch_norm_relu_eval");
    nn::set_fusion_enabled(false);
    EXPECT_LE(max_abs_diff(ye.value(), (*plain_model)(ag::Var(x, false)).value()), tol);
  }
}

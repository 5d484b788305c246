// nn::Graph: a residual block and a U-Net-like concat graph, gradients checked in float64;
// index naming, references and merge errors.
#include "nn/graph.hpp"

#include <gtest/gtest.h>

#include "autograd/gradcheck.hpp"
#include "kernels/backend.hpp"
#include "nn/nn.hpp"
#include "support/inputs.hpp"
#include "support/throws.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn {
namespace {
using physcnn::test::random_var;

using physcnn::test::expect_error;
namespace ag = physcnn::autograd;

void expect_gradients_ok(Module& net, const Var& x) {
  std::vector<Var> inputs{x};
  for (const auto& p : net.parameters()) inputs.push_back(p);
  const auto r = ag::gradcheck([&net](const std::vector<Var>& v) { return net(v[0]); }, inputs);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_GT(r.coords_checked, 50);
}

TEST(Graph, ResidualBlockMatchesHandWrittenSumAndGradchecks) {
  Graph g;
  EXPECT_EQ(
      g.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 2, .kernel = 3, .padding = 1})),
      "0");
  EXPECT_EQ(g.add(std::make_shared<Tanh>()), "1");
  g.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 2, .kernel = 3, .padding = 1}),
        "conv_b");
  g.add_merge(Merge::Add, {"conv_b", "input"}, "sum");
  g.add(std::make_shared<Tanh>());
  g.to(DType::F64);
  auto sd = g.state_dict();
  EXPECT_TRUE(sd.count("0.weight") && sd.count("conv_b.bias"));
  EXPECT_EQ(sd.size(), 4u);
  EXPECT_EQ(g.node_names(), (std::vector<std::string>{"0", "1", "conv_b", "sum", "4"}));

  const Var x = random_var({2, 2, 5, 5}, 3, DType::F64, true);
  // The graph computes tanh(conv_b(tanh(conv_0(x))) + x).
  Var expected = ag::tanh(ag::add((*g.child("conv_b"))((*g.child("1"))((*g.child("0"))(x))), x));
  EXPECT_LT(max_abs_diff(g(x).value(), expected.value()), 1e-12);
  expect_gradients_ok(g, x);
}

TEST(Graph, UnetLikeConcatGradchecks) {
  // x -> conv (skip) -> pool -> conv -> upsample -> concat(up, skip) -> 1x1 conv
  Graph g;
  g.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 1, .out = 2, .kernel = 3, .padding = 1}),
        "skip");
  g.add(std::make_shared<MaxPool2d>());
  g.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 3, .kernel = 3, .padding = 1}));
  g.add(std::make_shared<ConvTranspose2d>(
            ConvTranspose2dOptions{.in = 3, .out = 2, .kernel = 2, .stride = 2}),
        "up");
  g.add_merge(Merge::Concat, {"up", "skip"}, "cat");
  g.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 4, .out = 2, .kernel = 1}), "head");
  g.to(DType::F64);
  const Var x = random_var({2, 1, 4, 4}, 4, DType::F64, true);
  EXPECT_EQ(g(x).shape(), (Shape{2, 2, 4, 4}));
  expect_gradients_ok(g, x);

  Summary s = g.summary({1, 4, 4});
  ASSERT_EQ(s.rows.size(), 6u);
  EXPECT_EQ(s.rows[4].path, "cat");
  EXPECT_EQ(s.rows[4].type, "Concat");
  EXPECT_EQ(s.rows[4].output, (Shape{4, 4, 4}));
}

TEST(Graph, FusedConvReluChainEqualsTheUnfusedComputation) {
  // Conv2d -> ReLU pairs run fused (as in Sequential) unless the conv's output is read elsewhere.
  auto conv_a = std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 3, .kernel = 3});
  auto conv_b =
      std::make_shared<Conv2d>(Conv2dOptions{.in = 3, .out = 3, .kernel = 3, .padding = 1});
  Graph g;
  g.add(conv_a);
  g.add(std::make_shared<ReLU>());
  g.add(conv_b, "b");
  g.add(std::make_shared<ReLU>());
  g.add_merge(Merge::Add, {"b", "3"});  // conv_b's output has a second reader: not fused
  Rng rng(11);
  Var x(Tensor::uniform({2, 2, 6, 6}, -1, 1, rng), true);
  Var y = g(x);
  Var hb = (*conv_b)(ag::relu((*conv_a)(x)));
  Var expected = ag::add(hb, ag::relu(hb));
  EXPECT_LT(max_abs_diff(y.value(), expected.value()), 1e-5);
  // Gradients agree with the unfused path too.
  Var xs(x.value(), true);
  ag::sum(g(xs)).backward();
  Tensor grad_fused = xs.grad();
  nn::set_fusion_enabled(false);
  Var xu(x.value(), true);
  ag::sum(g(xu)).backward();
  nn::set_fusion_enabled(true);
  EXPECT_LT(max_abs_diff(grad_fused, xu.grad()), 1e-5);
  EXPECT_GT(max_abs(grad_fused), 0.0);
}

TEST(Graph, MergeShapeErrorsNameNodesAndShapes) {
  Graph g;
  g.add(std::make_shared<MaxPool2d>(), "half");
  g.add_merge(Merge::Concat, {"half", "input"}, "cat");
  Var x(Tensor::zeros({1, 2, 4, 4}));
  expect_error<ShapeError>(
      [&] { g(x); }, {"cat (Concat)", "'half' [1,2,2,2]", "'input' [1,2,4,4]", "spatial size"});
  Graph h;
  h.add(std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 3, .kernel = 1}), "c");
  h.add_merge(Merge::Add, {"c", "input"});
  expect_error<ShapeError>([&] { h(x); }, {"1 (Add)", "[1,3,4,4]", "[1,2,4,4]"});
}

TEST(Graph, BadWiringIsAUsageError) {
  Graph g;
  g.add(std::make_shared<ReLU>(), "a");
  expect_error<UsageError>([&] { g.add(std::make_shared<ReLU>(), "a"); }, {"'a' is used twice"});
  expect_error<UsageError>([&] { g.add(std::make_shared<ReLU>(), "b", "nope"); },
                           {"reads 'nope'", "nodes so far: a"});
  expect_error<UsageError>([&] { g.add_merge(Merge::Add, {"a"}); }, {"at least two inputs"});
  expect_error<UsageError>([&] { g.add(std::make_shared<ReLU>(), "input"); }, {"reserved"});
  EXPECT_EQ(g.size(), 1u);
}

}  // namespace
}  // namespace physcnn::nn

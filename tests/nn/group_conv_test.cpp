// The p4 / p4m layers obey the group law exactly: a turned or mirrored input turns the output
// maps and permutes their orientations (float64 to 1e-12, float32 to 1e-5 relative), an
// invariant classifier predicts the same for all 8 transforms, gradients check, parameter counts
// follow the formula, and the probe tells them from a plain CNN.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "nn/group_conv.hpp"
#include "nn/inspect.hpp"
#include "nn/nn.hpp"
#include "support/inputs.hpp"
#include "tensor/ops.hpp"

namespace physcnn {
namespace {

namespace ag = autograd;
using autograd::Var;
using nn::SymmetryGroup;

double tolerance(DType dt) {
  return dt == DType::F64 ? 1e-12 : 1e-5;
}

// max |a - b| / max |b|: a relative error that does not blow up at small elements.
double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  return max_abs_diff(a, b) / std::max(max_abs(b), 1e-300);
}

Tensor run(nn::Module& m, const Tensor& x) {
  ag::NoGradGuard no_grad;
  return m(Var(x)).value();
}

TEST(GroupAlgebra, IsAGroupAndActsAsARepresentation) {
  for (int64_t a = 0; a < 8; ++a) {
    EXPECT_EQ(nn::group_mul(a, nn::group_inverse(a)), 0) << a;
    EXPECT_EQ(nn::group_mul(0, a), a);
    for (int64_t b = 0; b < 8; ++b)
      for (int64_t c = 0; c < 8; ++c)
        EXPECT_EQ(nn::group_mul(nn::group_mul(a, b), c), nn::group_mul(a, nn::group_mul(b, c)));
  }
  EXPECT_NE(nn::group_mul(1, 4), nn::group_mul(4, 1));  // p4m is not abelian
  // T_a T_b = T_ab on images and on fields over p4m: the conventions of the layers agree.
  const Tensor img = test::random_tensor(Shape{2, 3, 5, 5}, 1, DType::F64);
  const Tensor fields = test::random_tensor(Shape{1, 16, 4, 4}, 2, DType::F64);
  for (int64_t a = 0; a < 8; ++a)
    for (int64_t b = 0; b < 8; ++b) {
      const int64_t ab = nn::group_mul(a, b);
      EXPECT_EQ(
          max_abs_diff(nn::group_act(nn::group_act(img, b, 0), a, 0), nn::group_act(img, ab, 0)),
          0);
      EXPECT_EQ(max_abs_diff(nn::group_act(nn::group_act(fields, b, 8), a, 8),
                             nn::group_act(fields, ab, 8)),
                0);
    }
}

struct Case {
  SymmetryGroup group;
  int64_t size, kernel, padding, stride;
  nn::Padding mode;
};

std::vector<Case> cases() {
  return {{SymmetryGroup::P4, 7, 3, 1, 1, nn::Padding::Zeros},
          {SymmetryGroup::P4M, 6, 3, 1, 1, nn::Padding::Zeros},
          {SymmetryGroup::P4M, 8, 4, 0, 1, nn::Padding::Zeros},  // even kernel
          {SymmetryGroup::P4, 5, 2, 1, 1, nn::Padding::Zeros},   // even kernel, odd map
          {SymmetryGroup::P4M, 7, 3, 1, 2, nn::Padding::Zeros},  // (7 + 2 - 3) % 2 == 0
          {SymmetryGroup::P4M, 6, 3, 1, 1, nn::Padding::Circular}};
}

// f(T_e x) against T_e f(x) for every element of the group, in float64 and float32.
void expect_equivariant(nn::Module& m, const Shape& in, int64_t in_order, int64_t out_order,
                        uint64_t seed, const std::string& what) {
  for (DType dt : {DType::F64, DType::F32}) {
    m.to(dt);
    const Tensor x = test::random_tensor(in, seed, dt);
    const Tensor y = run(m, x);
    const int64_t order = std::max(in_order, out_order);
    for (int64_t e = 0; e < order; ++e) {
      const Tensor moved = run(m, nn::group_act(x, e, in_order));
      EXPECT_LE(relative_error(moved, nn::group_act(y, e, out_order)), tolerance(dt))
          << what << " element " << e << " " << dtype_name(dt);
    }
  }
}

TEST(GroupLiftConv2d, TurnsAndMirrorsPermuteTheOrientations) {
  for (const Case& c : cases()) {
    const int64_t G = c.group == SymmetryGroup::P4 ? 4 : 8;
    nn::GroupLiftConv2d lift({.group = c.group,
                              .in = 2,
                              .out = 3,
                              .kernel = c.kernel,
                              .stride = c.stride,
                              .padding = c.padding,
                              .padding_mode = c.mode},
                             Rng(c.size));
    expect_equivariant(
        lift, Shape{2, 2, c.size, c.size}, 0, G, 11,
        "lift size " + std::to_string(c.size) + " kernel " + std::to_string(c.kernel));
  }
}

TEST(GroupConv2d, TurnsAndMirrorsPermuteTheOrientations) {
  for (const Case& c : cases()) {
    const int64_t G = c.group == SymmetryGroup::P4 ? 4 : 8;
    nn::GroupConv2d conv({.group = c.group,
                          .in = 2,
                          .out = 2,
                          .kernel = c.kernel,
                          .stride = c.stride,
                          .padding = c.padding,
                          .padding_mode = c.mode},
                         Rng(c.size + 100));
    expect_equivariant(
        conv, Shape{2, 2 * G, c.size, c.size}, G, G, 12,
        "gconv size " + std::to_string(c.size) + " kernel " + std::to_string(c.kernel));
  }
  // Channel groups: two independent halves of the fields.
  nn::GroupConv2d grouped(
      {.group = SymmetryGroup::P4M, .in = 4, .out = 2, .kernel = 3, .padding = 1, .groups = 2});
  expect_equivariant(grouped, Shape{1, 32, 5, 5}, 8, 8, 13, "gconv groups 2");
}

TEST(GroupPool, IsInvariantOverTheOrientations) {
  for (auto mode : {nn::GroupPoolMode::Max, nn::GroupPoolMode::Mean}) {
    nn::GroupPool pool({.group = SymmetryGroup::P4M, .mode = mode});
    expect_equivariant(pool, Shape{2, 24, 5, 5}, 8, 0, 14, "group pool");
  }
}

TEST(GroupBatchNorm2d, SharesStatisticsOverOrientationsAndStaysEquivariant) {
  nn::GroupBatchNorm2d bn({}, SymmetryGroup::P4);
  bn.train();
  for (DType dt : {DType::F64, DType::F32}) {
    bn.to(dt);
    const Tensor x = test::random_tensor(Shape{3, 8, 4, 4}, 15, dt);
    const Tensor y = run(bn, x);
    for (int64_t e = 0; e < 4; ++e)
      EXPECT_LE(relative_error(run(bn, nn::group_act(x, e, 4)), nn::group_act(y, e, 4)),
                tolerance(dt));
    // Each field (4 orientations x 3 samples x 16 pixels) has mean 0 and variance 1.
    const Tensor per_field = y.reshape(Shape{3, 2, 64});
    EXPECT_NEAR(sum_all(per_field.select(1, 0).contiguous()), 0.0, 1e-4);
  }
  EXPECT_EQ(bn.parameter_count(), 2 * 2);
}

TEST(GroupLayers, ParameterCountsFollowTheFormula) {
  for (auto g : {SymmetryGroup::P4, SymmetryGroup::P4M}) {
    const int64_t G = nn::group_order(g);
    nn::GroupLiftConv2d lift({.group = g, .in = 3, .out = 5, .kernel = 3});
    EXPECT_EQ(lift.parameter_count(), 5 * 3 * 9 + 5);
    nn::GroupConv2d conv({.group = g, .in = 4, .out = 6, .kernel = 3, .groups = 2, .bias = false});
    EXPECT_EQ(conv.parameter_count(), 6 * (4 / 2) * G * 9);
    conv.build(Shape{4 * G, 5, 5});
    EXPECT_EQ(conv.filter_bank().shape(), (Shape{6 * G, 2 * G, 3, 3}));
  }
}

TEST(GroupLayers, GradientsCheckInFloat64) {
  nn::GroupLiftConv2d lift(
      {.group = SymmetryGroup::P4M, .in = 2, .out = 2, .kernel = 3, .stride = 2, .padding = 1});
  nn::GroupConv2d conv({.group = SymmetryGroup::P4,
                        .in = 2,
                        .out = 2,
                        .kernel = 2,
                        .padding = 1,
                        .padding_mode = nn::Padding::Circular,
                        .groups = 2});
  for (auto [m, in] : {std::pair<nn::Module*, Shape>{&lift, Shape{2, 2, 5, 5}},
                       std::pair<nn::Module*, Shape>{&conv, Shape{2, 8, 4, 4}}}) {
    m->to(DType::F64);
    std::vector<Var> inputs{test::random_var(in, 16, DType::F64, true)};
    for (const auto& p : m->parameters()) inputs.push_back(p);
    const auto r = ag::gradcheck([m](const std::vector<Var>& v) { return (*m)(v[0]); }, inputs);
    EXPECT_TRUE(r.ok) << m->type_name() << ": " << r.message;
  }
  // take on its own: a gather with repeated indices sums their gradients.
  auto index = std::make_shared<const std::vector<int64_t>>(std::vector<int64_t>{2, 0, 2, 1, 2});
  const auto r =
      ag::gradcheck([&](const std::vector<Var>& v) { return ag::take(v[0], index, Shape{5}); },
                    {test::random_var(Shape{3}, 17, DType::F64, true)});
  EXPECT_TRUE(r.ok) << r.message;
}

// lift -> BN -> ReLU -> group conv -> ReLU -> pool over orientations -> global pool -> linear.
std::shared_ptr<nn::Sequential> invariant_classifier(SymmetryGroup g) {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::GroupLiftConv2d>(
          nn::GroupConv2dOptions{.group = g, .out = 4, .kernel = 3, .padding = 1}),
      std::make_shared<nn::GroupBatchNorm2d>(nn::BatchNormOptions{}, g),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::GroupConv2d>(
          nn::GroupConv2dOptions{.group = g, .out = 4, .kernel = 3, .stride = 2, .padding = 1}),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::GroupPool>(nn::GroupPoolOptions{.group = g}),
      std::make_shared<nn::GlobalAvgPool2d>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 3})});
}

TEST(GroupLayers, InvariantClassifierPredictsTheSameForAllEightTransforms) {
  auto model = invariant_classifier(SymmetryGroup::P4M);
  model->build(Shape{1, 9, 9});
  model->eval();
  for (DType dt : {DType::F64, DType::F32}) {
    model->to(dt);
    const Tensor x = test::random_tensor(Shape{4, 1, 9, 9}, 18, dt);
    const Tensor y = run(*model, x);
    for (int64_t e = 1; e < 8; ++e) {
      const Tensor moved = run(*model, nn::group_act(x, e, 0));
      EXPECT_LE(relative_error(moved, y), tolerance(dt)) << "element " << e;
      EXPECT_EQ(argmax(moved, 1), argmax(y, 1));
    }
  }
}

TEST(GroupLayers, ProbeShowsEquivarianceWhereAPlainCnnHasNone) {
  auto group_model = invariant_classifier(SymmetryGroup::P4);
  auto plain = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.out = 4, .kernel = 3, .padding = 1}),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::GlobalAvgPool2d>()});
  // 9 x 9: the stride-2 group convolution samples a grid that turns onto itself.
  const Tensor x = test::random_tensor(Shape{2, 1, 9, 9}, 19);
  const std::vector<nn::ProbeTransform> turn{{.kind = nn::ProbeKind::Rotate90, .quarter_turns = 1}};
  group_model->build(Shape{1, 9, 9});
  const auto g = nn::probe_invariance(*group_model, x, turn)[0];
  int64_t group_layers = 0;
  for (const auto& l : g.layers) {
    if (l.group_order == 4) ++group_layers;
    if (!std::isnan(l.equivariance)) {
      EXPECT_LT(l.equivariance, 1e-5) << l.path << " " << l.type;
    }
  }
  EXPECT_EQ(group_layers, 5);  // lift, batch norm, ReLU, group conv, ReLU
  EXPECT_LT(g.output_change, 1e-5);
  plain->build(Shape{1, 9, 9});
  const auto p = nn::probe_invariance(*plain, x, turn)[0];
  EXPECT_GT(p.layers[0].equivariance, 1e-2);
  EXPECT_GT(p.output_change, 1e-2);
}

TEST(GroupLayers, BankIsRebuiltWithoutGradientsOnlyWhenTheWeightsChange) {
  nn::GroupConv2d conv({.group = SymmetryGroup::P4M, .in = 2, .out = 2, .kernel = 3, .padding = 1});
  const Tensor x = test::random_tensor(Shape{1, 16, 5, 5}, 22);
  const Tensor y = run(conv, x);
  const int64_t builds = conv.bank_builds();
  EXPECT_EQ(max_abs_diff(run(conv, x), y), 0);
  EXPECT_EQ(conv.bank_builds(), builds);  // unchanged weights: the kept bank
  // A write through the raw pointer, as the optimizers make: noticed, and the output follows.
  conv.weight().value().data<float>()[5] += 1.0f;
  const Tensor changed = run(conv, x);
  EXPECT_EQ(conv.bank_builds(), builds + 1);
  EXPECT_GT(max_abs_diff(changed, y), 1e-3);
  // With gradients the bank is gathered on every forward (the graph needs it).
  conv(Var(x)).value();
  EXPECT_EQ(conv.bank_builds(), builds + 2);
  conv.to(DType::F64);  // a new dtype is a change too
  run(conv, x.to(DType::F64));
  EXPECT_EQ(conv.bank_builds(), builds + 3);
}

TEST(GroupLayers, RefuseInputsThatAreNotFieldsOverTheGroup) {
  nn::GroupConv2d conv({.group = SymmetryGroup::P4M, .in = 2, .out = 2, .kernel = 3});
  EXPECT_THROW(run(conv, test::random_tensor(Shape{1, 12, 5, 5}, 20)), ShapeError);
  EXPECT_THROW(nn::GroupConv2d({.out = 2, .kernel = 3, .padding = {1, 0}}), UsageError);
  EXPECT_THROW(nn::GroupConv2d({.out = 2, .kernel = 4, .padding = "same"}), UsageError);
  nn::GroupPool pool({.group = SymmetryGroup::P4M});
  EXPECT_THROW(run(pool, test::random_tensor(Shape{1, 12, 5, 5}, 21)), ShapeError);
}

}  // namespace
}  // namespace physcnn

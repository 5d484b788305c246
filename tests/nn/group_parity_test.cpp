// The p4 / p4m convolutions against an independent PyTorch implementation (filter banks from
// torch.rot90 and torch.flip; tools/ref/group_ref.py): outputs and gradients in float64.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "nn/group_conv.hpp"
#include "support/fixture.hpp"

namespace physcnn {
namespace {

using autograd::Var;

struct Row {
  std::string name;
  bool lifting;
  nn::SymmetryGroup group;
  int64_t in, out, kernel, stride, padding, groups;
  bool bias;
};

TEST(GroupParity, MatchesPyTorchOutputsAndGradients) {
  const test::Fixture f = test::load_fixture("group_conv");
  const std::vector<Row> rows{
      {"lift_p4m", true, nn::SymmetryGroup::P4M, 2, 3, 3, 1, 1, 1, true},
      {"lift_p4_even", true, nn::SymmetryGroup::P4, 1, 2, 2, 1, 1, 1, true},
      {"gconv_p4_stride2", false, nn::SymmetryGroup::P4, 2, 2, 3, 2, 1, 1, true},
      {"gconv_p4m_groups2", false, nn::SymmetryGroup::P4M, 4, 2, 3, 1, 1, 2, false}};
  for (const Row& r : rows) {
    const nn::GroupConv2dOptions o{.group = r.group,
                                   .in = r.in,
                                   .out = r.out,
                                   .kernel = r.kernel,
                                   .stride = r.stride,
                                   .padding = r.padding,
                                   .groups = r.groups,
                                   .bias = r.bias};
    std::shared_ptr<nn::GroupConvBase> m;
    if (r.lifting)
      m = std::make_shared<nn::GroupLiftConv2d>(o);
    else
      m = std::make_shared<nn::GroupConv2d>(o);
    m->to(DType::F64);
    nn::StateDict state{{"weight", f[r.name + ".w"]}};
    if (r.bias) state["bias"] = f[r.name + ".b"];
    m->load_state_dict(state);
    Var x(f[r.name + ".x"].clone(), true);
    const Var y = (*m)(x);
    EXPECT_TRUE(test::tensors_close(y.value(), f[r.name + ".y"], 1e-12, 1e-12, r.name + " y"));
    y.backward(f[r.name + ".g"]);
    EXPECT_TRUE(test::tensors_close(x.grad(), f[r.name + ".dx"], 1e-12, 1e-12, r.name + " dx"));
    EXPECT_TRUE(
        test::tensors_close(m->weight().grad(), f[r.name + ".dw"], 1e-12, 1e-12, r.name + " dw"));
    if (r.bias) {
      EXPECT_TRUE(
          test::tensors_close(m->bias().grad(), f[r.name + ".db"], 1e-12, 1e-12, r.name + " db"));
    }
  }
}

}  // namespace
}  // namespace physcnn

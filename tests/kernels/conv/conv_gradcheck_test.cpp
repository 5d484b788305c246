// Gradients of conv2d, conv1d and conv_transpose2d by central differences in float64, one
// check per row of the conv test table (inputs, weights and bias).
#include <gtest/gtest.h>

#include "autograd/gradcheck.hpp"
#include "kernels/conv/conv_cases.hpp"
#include "support/inputs.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {
using physcnn::test::random_var;
}  // namespace

TEST(ConvGradcheck, EveryTableRow) {
  int rows = 0;
  for (const test::ConvCase& c : test::conv_cases()) {
    SCOPED_TRACE(c.str());
    std::vector<ag::Var> in{random_var(c.input_shape(), 11, DType::F64, true),
                            random_var(c.weight_shape(), 12, DType::F64, true)};
    if (c.bias) in.push_back(random_var(c.bias_shape(), 13, DType::F64, true));
    const auto f = [&c](const std::vector<ag::Var>& v) {
      return c.run(v[0], v[1], v.size() > 2 ? v[2] : ag::Var());
    };
    const ag::GradcheckResult r = ag::gradcheck(f, in);
    EXPECT_TRUE(r.ok) << c.str() << "\n" << r.message;
    EXPECT_GT(r.coords_checked, 0) << c.str();
    ++rows;
  }
  EXPECT_GE(rows, 20);
}

TEST(ConvGradcheck, OnlyWeightOrOnlyBiasRequired) {
  // The backward must fill exactly the gradients asked for, whichever subset that is.
  const test::ConvCase& c = test::conv_cases().front();
  Rng rng(5);
  ag::Var x(Tensor::uniform(c.input_shape(), -1, 1, rng, DType::F64), false);
  ag::Var w(Tensor::uniform(c.weight_shape(), -1, 1, rng, DType::F64), false);
  ag::Var b(Tensor::uniform(c.bias_shape(), -1, 1, rng, DType::F64), true);
  ag::sum(c.run(x, w, b)).backward();
  // d sum(y) / d b[oc] = N * OH * OW for every output channel
  const ag::Var y = c.run(x, w, b);
  const double per_channel = double(y.size(0) * y.size(2) * y.size(3));
  for (int64_t oc = 0; oc < c.OC; ++oc) EXPECT_DOUBLE_EQ(b.grad().at({oc}), per_channel);
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

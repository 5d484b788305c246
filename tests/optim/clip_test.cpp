// Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (float64 to
// 1e-12, float32 to 1e-6 relative), and the documented behaviour on non-finite norms.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "optim/clip.hpp"
#include "support/fixture.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

const std::vector<std::string> kGrads{"g0", "g1", "g2"};

// Leaves holding copies of the fixture's gradients.
std::vector<ag::Var> with_grads(const test::Fixture& f, const std::string& prefix) {
  std::vector<ag::Var> ps;
  for (const auto& k : kGrads) {
    const Tensor g = f[prefix + "grad." + k];
    ag::Var p(Tensor::zeros_like(g), true);
    p.grad() = g.clone();
    ps.push_back(p);
  }
  return ps;
}

}  // namespace

TEST(Clip, NormMatchesPyTorch) {
  const auto f = test::load_fixture("optim_clip");
  const std::vector<std::pair<std::string, std::pair<double, double>>> cases{
      {"norm2", {1.0, 2.0}},
      {"norm_inf", {0.5, optim::kInfNorm}},
      {"norm3", {1.0, 3.0}},
      {"norm1", {2.0, 1.0}},
      {"noop", {100.0, 2.0}}};
  for (const std::string prefix : {"", "f32."}) {
    const double rtol = prefix.empty() ? 1e-12 : 1e-6;
    for (const auto& [name, args] : cases) {
      auto ps = with_grads(f, prefix);
      const double total = optim::clip_grad_norm(ps, args.first, args.second);
      const double want = f[prefix + name + ".total"].item();
      EXPECT_NEAR(total, want, rtol * want) << prefix << name;
      for (size_t i = 0; i < ps.size(); ++i)
        EXPECT_TRUE(test::tensors_close(ps[i].grad(), f[prefix + name + "." + kGrads[i]], rtol,
                                        1e-7 * rtol, prefix + name + "." + kGrads[i]));
    }
    auto ps = with_grads(f, prefix);
    optim::clip_grad_value(ps, 0.3);
    for (size_t i = 0; i < ps.size(); ++i)  // a clamp is exact
      EXPECT_EQ(ps[i].grad().to_vector(), f[prefix + "value." + kGrads[i]].to_vector())
          << prefix << "value." << kGrads[i];
  }
}

TEST(Clip, ReplacesGradientsInsteadOfWritingThem) {
  const auto f = test::load_fixture("optim_clip");
  auto ps = with_grads(f, "");
  const Tensor old = ps[0].grad();
  const auto before = old.to_vector();
  optim::clip_grad_norm(ps, 0.1);
  EXPECT_EQ(old.to_vector(), before);
  EXPECT_FALSE(ps[0].grad().shares_storage(old));
  const Tensor old1 = ps[1].grad();
  const auto before1 = old1.to_vector();
  optim::clip_grad_value(ps, 0.01);
  EXPECT_EQ(old1.to_vector(), before1);
  EXPECT_LE(max_abs(ps[1].grad()), 0.01);
}

TEST(Clip, NonFiniteNormIsReturnedAndGradientsKept) {
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    for (double norm_type : {2.0, optim::kInfNorm}) {
      ag::Var a(Tensor::zeros({2}, DType::F64), true), b(Tensor::zeros({2}, DType::F64), true);
      a.grad() = Tensor::from_vector(std::vector<double>{bad, 1.0}, {2});
      b.grad() = Tensor::from_vector(std::vector<double>{3.0, 4.0}, {2});
      const double total = optim::clip_grad_norm({a, b}, 1.0, norm_type);
      EXPECT_FALSE(std::isfinite(total));
      EXPECT_EQ(std::isnan(total), std::isnan(bad)) << "norm " << norm_type;
      EXPECT_EQ(b.grad().to_vector(), (std::vector<double>{3.0, 4.0}));
      EXPECT_THROW(optim::clip_grad_norm({a, b}, 1.0, norm_type, true), NumericalError);
    }
  }
}

TEST(Clip, SkipsUndefinedGradientsAndChecksArguments) {
  ag::Var a(Tensor::zeros({2}, DType::F64), true), b(Tensor::zeros({2}, DType::F64), true);
  EXPECT_EQ(optim::clip_grad_norm({a, b}, 1.0), 0.0);
  b.grad() = Tensor::from_vector(std::vector<double>{3.0, 4.0}, {2});
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm({a, b}, 1.0), 5.0);
  EXPECT_FALSE(a.grad().defined());
  EXPECT_NEAR(b.grad().to_vector()[1], 4.0 / (5.0 + 1e-6), 1e-15);
  EXPECT_THROW(optim::clip_grad_norm({a, b}, -1.0), UsageError);
  EXPECT_THROW(optim::clip_grad_norm({a, b}, 1.0, 0.0), UsageError);
  EXPECT_THROW(optim::clip_grad_value({a, b}, -0.1), UsageError);
}

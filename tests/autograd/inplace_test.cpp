// In-place gradient work in the engine: accumulation into a gradient nobody else holds, and
// elementwise backwards overwriting the output gradient, must give the same numbers as the
// out-of-place path and never change a tensor someone else still holds.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {
Tensor vec(std::vector<double> v) {
  const int64_t n = int64_t(v.size());
  return Tensor::from_vector(v, {n});
}
}  // namespace

TEST(InPlace, SharedOutputGradientIsNotOverwritten) {
  // add passes one gradient tensor to both relus; the first relu's backward must not
  // overwrite it while the second still needs it.
  ag::Var x(vec({-1.0, 0.5, 2.0, -3.0}), true);
  ag::Var y = ag::add(ag::relu(x), ag::relu(x));
  ag::sum(ag::mul(y, ag::Var(vec({1, 2, 3, 4})))).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0, 4, 6, 0}));
}

TEST(InPlace, HeldGradientStaysUnchanged) {
  ag::Var x(vec({1.0, -2.0, 3.0}), true);
  ag::sum(ag::relu(ag::scale(x, 2.0))).backward();
  const Tensor held = x.grad();  // a second holder: the next accumulation must copy
  ag::sum(ag::relu(ag::scale(x, 3.0))).backward();
  EXPECT_EQ(held.to_vector(), (std::vector<double>{2, 0, 2}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{5, 0, 5}));
}

TEST(InPlace, RepeatedUseAccumulatesExactly) {
  // x feeds five branches: four accumulations, in place after the first.
  Rng rng(3);
  const Tensor xv = Tensor::normal({3, 4}, 0, 1, rng, DType::F64);
  ag::Var x(xv, true);
  ag::Var acc = ag::relu(x);
  for (int k = 1; k < 5; ++k) acc = ag::add(acc, ag::scale(ag::relu(x), double(k + 1)));
  ag::sum(acc).backward();
  const std::vector<double> xs = xv.to_vector(), gx = x.grad().to_vector();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(gx[i], xs[i] > 0 ? 15.0 : 0.0) << i;
}

TEST(InPlace, GradcheckThroughReusedBuffers) {
  // relu -> batch norm -> relu -> sum with weights: each backward may reuse its output
  // gradient; the float64 central-difference check must still hold.
  Rng rng(11);
  ag::Var x(Tensor::normal({4, 3, 2, 2}, 0, 1, rng, DType::F64), true);
  ag::Var w(Tensor::normal({3}, 1, 0.1, rng, DType::F64), true);
  ag::Var b(Tensor::normal({3}, 0, 0.1, rng, DType::F64), true);
  const Tensor weights = Tensor::normal({4, 3, 2, 2}, 0, 1, rng, DType::F64);
  auto f = [&](const std::vector<ag::Var>& in) {
    Tensor rm = Tensor::zeros({3}, DType::F64), rv = Tensor::ones({3}, DType::F64);
    ag::Var h = ag::batch_norm(ag::relu(in[0]), in[1], in[2], rm, rv, true, 0.1, 1e-5);
    return ag::sum(ag::mul(ag::relu(h), ag::Var(weights)));
  };
  const ag::GradcheckResult r = ag::gradcheck(f, {x, w, b});
  EXPECT_TRUE(r.ok) << r.message;
}

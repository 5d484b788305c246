// The fused batch_norm_relu against relu(batch_norm(...)): same outputs and running statistics
// bit for bit, gradients to rounding (float32 and float64, training and evaluation), a float64
// gradient check, the BatchNorm module's fused call, and its errors.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "kernels/backend.hpp"
#include "nn/nn.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

struct Outcome {
  std::vector<double> y, gx, gw, gb, rm, rv;
};

Outcome run(bool fused, bool training, DType dt) {
  Rng rng(21);
  ag::Var x(Tensor::normal({3, 4, 5, 2}, 0.3, 1, rng, dt), true);
  ag::Var w(Tensor::normal({4}, 1, 0.2, rng, dt), true);
  ag::Var b(Tensor::normal({4}, 0, 0.2, rng, dt), true);
  Tensor rm = Tensor::normal({4}, 0, 0.1, rng, dt);
  Tensor rv = Tensor::uniform({4}, 0.5, 1.5, rng, dt);
  const Tensor weights = Tensor::normal({3, 4, 5, 2}, 0, 1, rng, dt);
  ag::Var y = fused ? ag::batch_norm_relu(x, w, b, rm, rv, training)
                    : ag::relu(ag::batch_norm(x, w, b, rm, rv, training));
  ag::sum(ag::mul(y, ag::Var(weights))).backward();
  return {y.value().to_vector(), x.grad().to_vector(), w.grad().to_vector(),
          b.grad().to_vector(),  rm.to_vector(),       rv.to_vector()};
}

}  // namespace

TEST(BatchNormRelu, EqualsTheCompositionBitForBit) {
  for (DType dt : {DType::F32, DType::F64})
    for (bool training : {true, false}) {
      const Outcome f = run(true, training, dt), u = run(false, training, dt);
      const std::string what = std::string(dtype_name(dt)) + (training ? " training" : " eval");
      EXPECT_EQ(f.y, u.y) << what;
      // Gradients: the same terms, but the masked reductions may vectorise (and so associate)
      // differently from the plain ones: equal to rounding.
      const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
      auto near = [&](const std::vector<double>& a, const std::vector<double>& b, const char* n) {
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i)
          EXPECT_NEAR(a[i], b[i], tol * (1 + std::abs(b[i])))
              << what << " " << n << "[" << i << "]";
      };
      near(f.gx, u.gx, "gx");
      near(f.gw, u.gw, "gw");
      near(f.gb, u.gb, "gb");
      EXPECT_EQ(f.rm, u.rm) << what;
      EXPECT_EQ(f.rv, u.rv) << what;
      size_t zeros = 0;
      for (double v : f.y) zeros += v == 0.0;
      EXPECT_GT(zeros, f.y.size() / 5) << what << ": the clamp must be exercised";
    }
}

TEST(BatchNormRelu, Gradcheck) {
  Rng rng(4);
  ag::Var x(Tensor::normal({4, 3, 3, 3}, 0, 1, rng, DType::F64), true);
  ag::Var w(Tensor::normal({3}, 1, 0.2, rng, DType::F64), true);
  ag::Var b(Tensor::normal({3}, 0.1, 0.2, rng, DType::F64), true);
  for (bool training : {true, false}) {
    auto f = [training](const std::vector<ag::Var>& in) {
      Tensor rm = Tensor::zeros({3}, DType::F64), rv = Tensor::ones({3}, DType::F64);
      return ag::batch_norm_relu(in[0], in[1], in[2], rm, rv, training);
    };
    const ag::GradcheckResult r = ag::gradcheck(f, {x, w, b});
    EXPECT_TRUE(r.ok) << (training ? "training: " : "eval: ") << r.message;
  }
}

TEST(BatchNormRelu, ModuleFusedCallEqualsReluOfForward) {
  Rng rng(8);
  const Tensor xv = Tensor::normal({2, 3, 4, 4}, 0, 1, rng);
  nn::BatchNorm2d a, b;
  const ag::Var ya = a.call_with_relu(ag::Var(xv));
  const ag::Var yb = ag::relu(b(ag::Var(xv)));
  EXPECT_EQ(ya.value().to_vector(), yb.value().to_vector());
  EXPECT_EQ(a.running_var().to_vector(), b.running_var().to_vector());
  EXPECT_EQ(ya.op(), "batch_norm_relu");
  // After the fused call the module runs unfused again.
  EXPECT_EQ(a(ag::Var(xv)).op(), "batch_norm");
}

TEST(BatchNormRelu, Errors) {
  Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  ag::Var x(Tensor::zeros({2, 4, 3, 3}), true);
  ag::Var w(Tensor::ones({3}), true);
  EXPECT_THROW(ag::batch_norm_relu(x, w, ag::Var(), rm, rv, true), ShapeError);
  EXPECT_THROW(
      ag::batch_norm_relu(ag::Var(Tensor::zeros({1, 3})), ag::Var(), ag::Var(), rm, rv, true),
      ShapeError);
  nn::BatchNorm2d m(nn::BatchNormOptions{.features = 3});
  EXPECT_THROW(m.call_with_relu(ag::Var(Tensor::zeros({2, 5, 3, 3}))), ShapeError);
  Rng rng(1);
  EXPECT_EQ(m(ag::Var(Tensor::normal({2, 3, 2, 2}, 0, 1, rng))).op(), "batch_norm")
      << "a failed fused call must not leave the module fused";
}

TEST(BatchNormRelu, Avx2AndPortableBuildsAgree) {
  // kernels/norm.cpp runs an AVX2 build of its loops where the CPU has AVX2 and the portable one
  // elsewhere: same formulas, sums associated differently by the vector width.
  namespace k = physcnn::kernels;
  const k::FastPaths saved = k::fast_paths();
  for (DType dt : {DType::F32, DType::F64})
    for (bool training : {true, false})
      for (bool fused : {true, false}) {
        k::FastPaths p = saved;
        p.avx2 = false;
        k::set_fast_paths(p);
        const Outcome portable = run(fused, training, dt);
        k::set_fast_paths(saved);
        const Outcome avx2 = run(fused, training, dt);
        const double tol = dt == DType::F32 ? 1e-5 : 1e-12;
        const auto near = [&](const std::vector<double>& a, const std::vector<double>& b) {
          ASSERT_EQ(a.size(), b.size());
          for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol * (1 + std::abs(b[i])));
        };
        SCOPED_TRACE(std::string(dtype_name(dt)) + (training ? " training" : " eval") +
                     (fused ? " fused" : ""));
        near(avx2.y, portable.y);
        near(avx2.gx, portable.gx);
        near(avx2.gw, portable.gw);
        near(avx2.gb, portable.gb);
        near(avx2.rm, portable.rm);
        near(avx2.rv, portable.rv);
      }
}

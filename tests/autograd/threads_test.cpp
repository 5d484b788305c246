// The threaded kernels give the same bits whatever the thread count (each channel or tile is
// computed by one thread in a fixed order), and float32 agrees with float64 on large inputs.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

struct Outputs {
  Tensor bn_y, bn_gx, bn_gw, rm, rv, sm_y, sm_gx, ce, ce_gx;
};

Outputs run_all(DType dt) {
  Rng rng(11);
  Outputs o;
  ag::Var x(Tensor::normal({32, 8, 16, 16}, 0.5, 2.0, rng, dt), true);
  ag::Var w(Tensor::uniform({8}, 0.5, 1.5, rng, dt), true);
  ag::Var b(Tensor::normal({8}, 0.0, 1.0, rng, dt), true);
  o.rm = Tensor::zeros({8}, dt);
  o.rv = Tensor::ones({8}, dt);
  ag::Var y = ag::batch_norm(x, w, b, o.rm, o.rv, true);
  y.backward(Tensor::normal(y.shape(), 0.0, 1.0, rng, dt));
  o.bn_y = y.value();
  o.bn_gx = x.grad();
  o.bn_gw = w.grad();

  ag::Var z(Tensor::normal({4, 10, 30, 40}, 0.0, 3.0, rng, dt), true);
  ag::Var s = ag::softmax(z, 1);
  s.backward(Tensor::normal(s.shape(), 0.0, 1.0, rng, dt));
  o.sm_y = s.value();
  o.sm_gx = z.grad();

  ag::Var l(Tensor::normal({4, 10, 30, 40}, 0.0, 3.0, rng, dt), true);
  Tensor t = Tensor::empty({4, 30, 40}, DType::F64);
  for (double* p = t.data<double>(); p != t.data<double>() + t.numel(); ++p)
    *p = double(rng.below(10));
  ag::Var ce = ag::cross_entropy(l, t, {.label_smoothing = 0.1});
  ce.backward();
  o.ce = ce.value();
  o.ce_gx = l.grad();
  return o;
}

void expect_same(const Outputs& a, const Outputs& b, double tol) {
  EXPECT_LE(max_abs_diff(a.bn_y, b.bn_y), tol);
  EXPECT_LE(max_abs_diff(a.bn_gx, b.bn_gx), tol);
  EXPECT_LE(max_abs_diff(a.bn_gw, b.bn_gw), tol * 100);  // a sum over 8192 values
  EXPECT_LE(max_abs_diff(a.rm, b.rm), tol);
  EXPECT_LE(max_abs_diff(a.rv, b.rv), tol);
  EXPECT_LE(max_abs_diff(a.sm_y, b.sm_y), tol);
  EXPECT_LE(max_abs_diff(a.sm_gx, b.sm_gx), tol);
  EXPECT_LE(max_abs_diff(a.ce, b.ce), tol);
  EXPECT_LE(max_abs_diff(a.ce_gx, b.ce_gx), tol);
}

}  // namespace

TEST(LayersThreads, SameBitsForOneAndTwoThreads) {
  const int saved = num_threads();
  set_num_threads(1);
  const Outputs one = run_all(DType::F32);
  set_num_threads(2);
  const Outputs two = run_all(DType::F32);
  set_num_threads(saved);
  expect_same(one, two, 0.0);
}

TEST(LayersThreads, Float32AgreesWithFloat64) {
  const Outputs f = run_all(DType::F32), d = run_all(DType::F64);
  Outputs f64;
  for (auto [dst, src] : {std::pair{&f64.bn_y, &f.bn_y},
                          {&f64.bn_gx, &f.bn_gx},
                          {&f64.bn_gw, &f.bn_gw},
                          {&f64.rm, &f.rm},
                          {&f64.rv, &f.rv},
                          {&f64.sm_y, &f.sm_y},
                          {&f64.sm_gx, &f.sm_gx},
                          {&f64.ce, &f.ce},
                          {&f64.ce_gx, &f.ce_gx}})
    *dst = src->to(DType::F64);
  expect_same(f64, d, 2e-5);
}

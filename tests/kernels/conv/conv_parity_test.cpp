// PyTorch parity for every row of the conv test table (tests/fixtures/conv_parity.safetensors,
// written by tools/ref/conv_ref.py): output and gradients through the fast float32 path and
// through the float64 reference path.
#include <gtest/gtest.h>

#include <iostream>

#include "kernels/backend.hpp"
#include "kernels/conv/conv_cases.hpp"
#include "support/fixture.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

struct Result {
  Tensor y, dx, dw, db;
};

Result run_case(const test::ConvCase& c, const test::Fixture& fx, DType dt) {
  const std::string p = c.name + ".";
  ag::Var x(fx[p + "x"].to(dt), true), w(fx[p + "w"].to(dt), true);
  ag::Var b = c.bias ? ag::Var(fx[p + "b"].to(dt), true) : ag::Var();
  ag::Var y = c.run(x, w, b);
  y.backward(fx[p + "g"].to(dt));
  return {y.value(), x.grad(), w.grad(), c.bias ? b.grad() : Tensor()};
}

// Largest |actual - expected| / max|expected| seen by the current test, printed at its end.
double g_worst = 0;
std::string g_worst_what;

// Relative 1e-5 with an absolute floor on the tensor's own scale (sums of many terms cancel).
void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  const double scale = max_abs(expected);
  EXPECT_TRUE(test::tensors_close(actual.to(DType::F32), expected, 1e-5, 1e-5 * scale, what));
  const double err = max_abs_diff(actual.to(DType::F64), expected.to(DType::F64)) / scale;
  if (err > g_worst) g_worst = err, g_worst_what = what;
}

void check_row(const test::ConvCase& c, const test::Fixture& fx, DType dt, const char* path) {
  const std::string p = c.name + ".";
  SCOPED_TRACE(c.str() + " via " + path);
  ASSERT_EQ(fx[p + "x"].shape(), c.input_shape()) << "fixture row differs from the C++ table";
  ASSERT_EQ(fx[p + "w"].shape(), c.weight_shape()) << "fixture row differs from the C++ table";
  ASSERT_EQ(fx.has(p + "b"), c.bias);
  const Result r = run_case(c, fx, dt);
  ASSERT_EQ(r.y.shape(), fx[p + "y"].shape());
  expect_close(r.y, fx[p + "y"], p + "y");
  expect_close(r.dx, fx[p + "dx"], p + "dx");
  expect_close(r.dw, fx[p + "dw"], p + "dw");
  if (c.bias) expect_close(r.db, fx[p + "db"], p + "db");
}

}  // namespace

TEST(ConvParity, FastFloat32MatchesPyTorch) {
  const test::Fixture fx = test::load_fixture("conv_parity");
  kernels::BackendGuard fast(kernels::Backend::Fast);
  g_worst = 0;
  for (const test::ConvCase& c : test::conv_cases()) check_row(c, fx, DType::F32, "fast float32");
  std::cout << "largest error / scale, fast float32: " << g_worst << " (" << g_worst_what << ")\n";
}

TEST(ConvParity, ReferenceFloat32MatchesPyTorch) {
  const test::Fixture fx = test::load_fixture("conv_parity");
  kernels::BackendGuard ref(kernels::Backend::Reference);
  g_worst = 0;
  for (const test::ConvCase& c : test::conv_cases())
    check_row(c, fx, DType::F32, "reference float32");
  std::cout << "largest error / scale, reference float32: " << g_worst << " (" << g_worst_what
            << ")\n";
}

TEST(ConvParity, ReferenceFloat64MatchesPyTorch) {
  const test::Fixture fx = test::load_fixture("conv_parity");
  g_worst = 0;
  for (const test::ConvCase& c : test::conv_cases())
    check_row(c, fx, DType::F64, "reference float64");
  std::cout << "largest error / scale, reference float64: " << g_worst << " (" << g_worst_what
            << ")\n";
}

// PyTorch parity: every row of the table, forward and input gradient of <g, out>, in float32 on
// both backends, against tests/fixtures/pool_parity.safetensors (tools/ref/pool_ref.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cases.hpp"
#include "kernels/backend.hpp"
#include "support/fixture.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {
// Largest |a-b| / |b| over elements with |b| >= 1e-2 (relative error is meaningless near 0,
// where tensors_close's atol governs), to report how close we are, not only whether.
double max_relative_error(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  for (size_t i = 0; i < va.size() && i < vb.size(); ++i)
    if (std::abs(vb[i]) >= 1e-2) worst = std::max(worst, std::abs(va[i] - vb[i]) / std::abs(vb[i]));
  return worst;
}
}  // namespace

TEST(PoolParity, ForwardAndGradientMatchPyTorch) {
  const test::Fixture fx = test::load_fixture("pool_parity");
  std::string rows_in_fixture;
  if (fx.metadata.count("rows")) rows_in_fixture = fx.metadata.at("rows");
  double worst = 0, worst_abs = 0;
  std::string worst_row;
  for (const test::PoolCase& c : test::pool_cases()) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(fx.has(c.name + ".x"))
        << c.name << " missing from the fixture; regenerate with /usr/bin/python3 "
        << "tools/ref/pool_ref.py (fixture rows: " << rows_in_fixture << ")";
    const Tensor& x0 = fx[c.name + ".x"];
    ASSERT_EQ(x0.shape(), c.shape) << "table and fixture disagree on the input shape";
    for (auto backend : {kernels::Backend::Reference, kernels::Backend::Fast}) {
      kernels::BackendGuard guard(backend);
      const std::string tag =
          c.name + (backend == kernels::Backend::Fast ? " (fast)" : " (reference)");
      ag::Var x(x0.clone(), true);
      ag::Var y = test::run_case(c, x);
      ASSERT_EQ(y.shape(), fx[c.name + ".out"].shape()) << tag;
      EXPECT_TRUE(test::tensors_close(y.value(), fx[c.name + ".out"], 1e-5, 1e-6, tag + " out"));
      y.backward(fx[c.name + ".g"]);
      EXPECT_TRUE(test::tensors_close(x.grad(), fx[c.name + ".grad"], 1e-5, 1e-6, tag + " grad"));
      for (const auto& [got, want] :
           {std::pair{y.value(), fx[c.name + ".out"]}, std::pair{x.grad(), fx[c.name + ".grad"]}}) {
        worst_abs = std::max(worst_abs, max_abs_diff(got, want));
        const double e = max_relative_error(got, want);
        if (e > worst) {
          worst = e;
          worst_row = tag;
        }
      }
    }
  }
  std::cout << "[pool parity] largest relative error " << worst << " (" << worst_row
            << "), largest absolute difference " << worst_abs << "\n";
}

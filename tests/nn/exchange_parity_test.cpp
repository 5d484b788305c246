// Configurations and weights as PyTorch defines them (issue 19), against
// tests/fixtures/exchange.safetensors (tools/ref/exchange_ref.py): linear on (N, C, L) inputs,
// ceil-mode pooling whose window is larger than the padded input, batch norm without running
// statistics, and PyTorch's BatchNorm state_dict with and without num_batches_tracked.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "nn/layers.hpp"
#include "support/fixture.hpp"
#include "support/inputs.hpp"

namespace physcnn::nn {
namespace {

namespace ag = physcnn::autograd;
using ag::Var;

TEST(ExchangeParity, LinearActsOnTheLastDimensionOfNCL) {
  const test::Fixture fx = test::load_fixture("exchange");
  Linear lin({.out = 4});
  Var x(fx["linear3d.x"].clone(), true);
  Var y = lin(x);
  ASSERT_EQ(y.shape(), Shape({2, 3, 4}));
  lin.load_state_dict({{"weight", fx["linear3d.weight"]}, {"bias", fx["linear3d.bias"]}});
  y = lin(x);
  EXPECT_TRUE(test::tensors_close(y.value(), fx["linear3d.out"], 1e-5, 1e-6, "out"));
  ag::sum(ag::mul(y, Var(fx["linear3d.g"]))).backward();
  EXPECT_TRUE(test::tensors_close(x.grad(), fx["linear3d.grad_x"], 1e-5, 1e-6, "grad x"));
  const auto params = lin.named_parameters();
  EXPECT_TRUE(test::tensors_close(params[0].second.grad(), fx["linear3d.grad_weight"], 1e-5, 1e-6,
                                  "grad weight"));
  EXPECT_TRUE(test::tensors_close(params[1].second.grad(), fx["linear3d.grad_bias"], 1e-5, 1e-6,
                                  "grad bias"));
  // float64 finite differences through the reshapes, on an (N, C, H, L) input too.
  Linear lin64({.in = 5, .out = 3});
  lin64.to(DType::F64);
  std::vector<Var> inputs{test::random_var({2, 2, 3, 5}, 7, DType::F64, true)};
  for (auto& [_, p] : lin64.named_parameters()) inputs.push_back(p);
  const auto r = ag::gradcheck([&](const std::vector<Var>& v) { return lin64(v[0]); }, inputs);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ExchangeParity, CeilModePoolingWithAWindowLargerThanTheInput) {
  const test::Fixture fx = test::load_fixture("exchange");
  const Var x2(fx["pool_ceil.x2"]), x1(fx["pool_ceil.x1"]);
  MaxPool2d max2({.kernel = 3, .ceil_mode = true});
  AvgPool2d avg2({.kernel = 3, .ceil_mode = true});
  MaxPool1d max1({.kernel = 3, .ceil_mode = true});
  AvgPool1d avg1({.kernel = 3, .ceil_mode = true, .count_include_pad = false});
  EXPECT_EQ(max2.build({2, 1, 1}), Shape({2, 1, 1}));
  EXPECT_TRUE(test::tensors_close(max2(x2).value(), fx["pool_ceil.max2d"], 1e-6, 1e-7, "max2d"));
  EXPECT_TRUE(test::tensors_close(avg2(x2).value(), fx["pool_ceil.avg2d"], 1e-6, 1e-7, "avg2d"));
  EXPECT_TRUE(test::tensors_close(max1(x1).value(), fx["pool_ceil.max1d"], 1e-6, 1e-7, "max1d"));
  EXPECT_TRUE(
      test::tensors_close(avg1(x1).value(), fx["pool_ceil.avg1d_excl"], 1e-6, 1e-7, "avg1d"));
  // Without ceil mode there is no window: refused, with the numbers.
  MaxPool2d floor2({.kernel = 3});
  EXPECT_THROW(floor2.build({2, 1, 1}), UsageError);
}

TEST(ExchangeParity, BatchNormWithoutRunningStatisticsBuildsAndNormalisesTheBatch) {
  const test::Fixture fx = test::load_fixture("exchange");
  BatchNorm1d bn({.track_running_stats = false});
  EXPECT_EQ(bn.build({3}), Shape({3}));  // a load-time build used to run a batch of one
  bn.load_state_dict({{"weight", fx["bn_nostats.weight"]}, {"bias", fx["bn_nostats.bias"]}});
  bn.eval();
  EXPECT_TRUE(test::tensors_close(bn(Var(fx["bn_nostats.x"])).value(), fx["bn_nostats.out"], 1e-5,
                                  1e-6, "out"));
}

StateDict pytorch_batch_norm(const test::Fixture& fx, bool with_count) {
  StateDict s;
  for (const char* k : {"weight", "bias", "running_mean", "running_var"})
    s[k] = fx[std::string("bn.") + k];
  if (with_count) s["num_batches_tracked"] = fx["bn.num_batches_tracked"];
  return s;
}

TEST(ExchangeParity, PyTorchBatchNormStateDictLoadsWithOrWithoutNumBatchesTracked) {
  const test::Fixture fx = test::load_fixture("exchange");
  for (bool with_count : {true, false}) {
    SCOPED_TRACE(with_count ? "with num_batches_tracked" : "without num_batches_tracked");
    BatchNorm2d bn;
    bn.build({3, 4, 4});
    ASSERT_NO_THROW(bn.load_state_dict(pytorch_batch_norm(fx, with_count)));
    bn.eval();
    EXPECT_TRUE(test::tensors_close(bn(Var(fx["bn.x"])).value(), fx["bn.out"], 1e-5, 1e-6, "out"));
    // PyTorch 1.13 sets a missing count to 0 (BatchNorm._load_from_state_dict).
    EXPECT_EQ(bn.state_dict().at("num_batches_tracked").item(),
              with_count ? fx["bn.num_batches_tracked"].item() : 0.0);
  }
  // Only that buffer is optional: a missing running_mean is still refused.
  BatchNorm2d bn;
  bn.build({3, 4, 4});
  StateDict s = pytorch_batch_norm(fx, true);
  s.erase("running_mean");
  EXPECT_THROW(bn.load_state_dict(s), UsageError);
}

}  // namespace
}  // namespace physcnn::nn

// nn/inspect: feature maps by layer path, saliency against analytic and finite-difference
// values, CAM summing to the class score, Grad-CAM against CAM, and the errors users can cause.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/inspect.hpp"
#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "support/inputs.hpp"
#include "support/throws.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
using namespace physcnn::nn;

namespace {
using physcnn::test::random_tensor;

// Conv(2->4, 3x3, pad 1) ReLU GlobalAvgPool Flatten Linear(4->3), float64.
std::shared_ptr<Sequential> gap_model() {
  auto m = std::make_shared<Sequential>();
  m->add(std::make_shared<Conv2d>(Conv2dOptions{.in = 2, .out = 4, .kernel = 3, .padding = 1},
                                  Rng(11)));
  m->add(std::make_shared<ReLU>());
  m->add(std::make_shared<GlobalAvgPool2d>());
  m->add(std::make_shared<Flatten>());
  m->add(std::make_shared<Linear>(LinearOptions{.in = 4, .out = 3}, Rng(12)));
  m->to(DType::F64);
  return m;
}

Tensor forward_no_grad(Module& m, const Tensor& x) {
  autograd::NoGradGuard no_grad;
  m.eval();
  return m(Var(x)).value();
}

}  // namespace

TEST(Inspect, LayerOutputsHaveNamesTypesAndShapes) {
  auto model = models::ising_cnn(3);
  const auto outs = layer_outputs(*model, Tensor::ones({2, 1, 16, 16}));
  std::vector<std::string> paths;
  for (const auto& o : outs) paths.push_back(o.path);
  const std::vector<std::string> expected{
      "features.0", "features.1",   "features.2",   "features.3",   "features.4",
      "features",   "classifier.0", "classifier.1", "classifier.2", "classifier"};
  EXPECT_EQ(paths, expected);
  EXPECT_EQ(outs[0].type, "Conv2d");
  EXPECT_EQ(outs[0].value.shape(), Shape({2, 16, 16, 16}));
  EXPECT_EQ(outs[2].type, "MaxPool2d");
  EXPECT_EQ(outs[2].value.shape(), Shape({2, 16, 8, 8}));
  EXPECT_EQ(outs[4].value.shape(), Shape({2, 32, 8, 8}));
  EXPECT_FALSE(outs[5].leaf);
  EXPECT_EQ(outs[8].value.shape(), Shape({2, 2}));
  EXPECT_EQ(layer_output(*model, Tensor::ones({1, 1, 16, 16}), "features.3").shape(),
            Shape({1, 32, 8, 8}));
  EXPECT_TRUE(model->is_training()) << "the model's mode must be restored";
}

TEST(Inspect, UnknownLayerListsTheLayers) {
  auto model = models::ising_cnn(3);
  test::expect_error<UsageError>(
      [&] {
        layer_output(*model, Tensor::ones({1, 1, 8, 8}), "features.9");
      },
      {"layer_output", "features.9", "features.0 (Conv2d)", "classifier.2 (Linear)"});
}

TEST(Inspect, SaliencyOfALinearModelIsItsWeightRow) {
  auto m = std::make_shared<Sequential>();
  m->add(std::make_shared<Flatten>());
  auto linear = m->add(std::make_shared<Linear>(LinearOptions{.in = 12, .out = 3}, Rng(5)));
  m->to(DType::F64);
  const Tensor x = random_tensor({2, 3, 2, 2}, 1, DType::F64);
  const Tensor s = saliency(*m, x, {2, 0});
  ASSERT_EQ(s.shape(), x.shape());
  const Tensor w = linear->weight().value();
  for (int64_t n = 0; n < 2; ++n) {
    const int64_t c = n == 0 ? 2 : 0;
    for (int64_t k = 0; k < 12; ++k)
      EXPECT_DOUBLE_EQ(s.at({n, k / 4, (k / 2) % 2, k % 2}), w.at({c, k})) << n << "," << k;
  }
  EXPECT_FALSE(linear->weight().grad().defined()) << "parameter gradients must be cleared";
}

TEST(Inspect, SaliencyMatchesCentralDifferences) {
  auto model = gap_model();
  const Tensor x = random_tensor({2, 2, 5, 5}, 2, DType::F64);
  const Tensor out = forward_no_grad(*model, x);
  const auto predicted = argmax(out, 1);
  const Tensor s = saliency(*model, x);  // the predicted classes
  const double h = 1e-6;
  for (const auto& idx : std::vector<std::vector<int64_t>>{
           {0, 0, 0, 0}, {0, 1, 2, 3}, {1, 0, 4, 4}, {1, 1, 2, 2}, {1, 0, 1, 3}}) {
    Tensor xp = x.clone(), xm = x.clone();
    xp.set(idx, x.at(idx) + h);
    xm.set(idx, x.at(idx) - h);
    const int64_t n = idx[0], c = predicted[n];
    const double fd =
        (forward_no_grad(*model, xp).at({n, c}) - forward_no_grad(*model, xm).at({n, c})) / (2 * h);
    EXPECT_NEAR(s.at(idx), fd, 1e-7 * std::max(1.0, std::abs(fd)));
  }
}

TEST(Inspect, CamSumsToTheClassScore) {
  auto model = gap_model();
  const Tensor x = random_tensor({3, 2, 6, 5}, 3, DType::F64);
  const Tensor out = forward_no_grad(*model, x);
  for (int64_t c = 0; c < 3; ++c) {
    const ActivationMap cam = class_activation_map(*model, x, {c});
    EXPECT_EQ(cam.method, "CAM");
    EXPECT_EQ(cam.layer, "2.input");
    ASSERT_EQ(cam.map.shape(), Shape({3, 6, 5}));
    for (int64_t n = 0; n < 3; ++n) {
      EXPECT_NEAR(sum_all(cam.map.select(0, n)), out.at({n, c}), 1e-12);
      EXPECT_DOUBLE_EQ(cam.scores.at({n}), out.at({n, c}));
    }
  }
}

TEST(Inspect, GradCamOfAGapHeadIsTheRectifiedCamWithoutBias) {
  // For GAP + Linear, d score / dA_k = W[c,k] / (h w) everywhere, so Grad-CAM at the pooled
  // layer is ReLU(CAM - b_c / (h w)).
  auto model = gap_model();
  const Tensor x = random_tensor({2, 2, 4, 4}, 4, DType::F64);
  const ActivationMap cam = class_activation_map(*model, x);
  const ActivationMap gc = grad_cam(*model, x, "1");
  EXPECT_EQ(gc.method, "Grad-CAM");
  EXPECT_EQ(gc.classes, cam.classes);
  ASSERT_EQ(gc.map.shape(), cam.map.shape());
  auto* linear = static_cast<Linear*>(model->children().back().second.get());
  for (int64_t n = 0; n < 2; ++n) {
    const double b = linear->bias().value().at({cam.classes[n]}) / 16.0;
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j)
        EXPECT_NEAR(gc.map.at({n, i, j}), std::max(0.0, cam.map.at({n, i, j}) - b), 1e-12);
  }
  // The default layer is the last Conv2d: the same map before the ReLU can differ only where
  // the ReLU cut, so just check it runs and has the conv's resolution.
  EXPECT_EQ(grad_cam(*model, x).map.shape(), Shape({2, 4, 4}));
}

TEST(Inspect, AttributionErrorsNameTheProblem) {
  auto lenet = models::lenet5(1);
  const Tensor x = Tensor::zeros({1, 1, 28, 28});
  test::expect_error<UsageError>([&] { class_activation_map(*lenet, x); },
                                 {"class_activation_map", "no GlobalAvgPool2d", "grad_cam"});
  test::expect_error<UsageError>([&] { saliency(*lenet, x, {10}); },
                                 {"saliency", "class 10", "10 outputs"});
  test::expect_error<UsageError>([&] { grad_cam(*lenet, x, "features.7"); },
                                 {"grad_cam", "features.7", "features.0 (Conv2d)"});
  test::expect_error<ShapeError>([&] { grad_cam(*lenet, x, "classifier.1"); },
                                 {"grad_cam", "classifier.1", "[1,120]"});
  test::expect_error<UsageError>(
      [&] {
        saliency(*lenet, Tensor::zeros({2, 1, 28, 28}), {1, 2, 3});
      },
      {"saliency", "3 classes", "batch of 2"});
  autograd::NoGradGuard no_grad;
  test::expect_error<UsageError>([&] { saliency(*lenet, x); }, {"saliency", "NoGradGuard"});
}

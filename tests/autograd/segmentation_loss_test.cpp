// Soft Dice and focal loss: float64 central-difference gradients, PyTorch values and gradients
// on fixed inputs (tools/ref/segmentation_loss_ref.py), exact values where they are known, and
// the errors for targets that are not class indices.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "support/fixture.hpp"
#include "support/throws.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

ag::Var logits(const Shape& s, uint64_t seed) {
  Rng rng(seed);
  return ag::Var(Tensor::uniform(s, -3.0, 3.0, rng, DType::F64), true);
}

Tensor classes(const Shape& s, int64_t c, uint64_t seed) {
  Rng rng(seed);
  Tensor t = Tensor::empty(s, DType::F64);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = double(rng.below(uint64_t(c)));
  return t;
}

}  // namespace

TEST(SegmentationLossGrad, DiceAndFocal) {
  const Shape shapes[] = {{2, 3, 4, 5}, {3, 2, 3, 3}, {2, 4, 7}};
  uint64_t seed = 10;
  for (const Shape& s : shapes) {
    std::vector<int64_t> target_dims{s[0]};  // (N, d1, ...): the logits without C
    for (int64_t k = 2; k < s.rank(); ++k) target_dims.push_back(s[k]);
    const Tensor t = classes(Shape(target_dims), s[1], seed + 100);
    for (double smooth : {1.0, 0.0, 0.25}) {
      const auto r = ag::gradcheck([&](auto& v) { return ag::dice_loss(v[0], t, smooth); },
                                   {logits(s, seed++)});
      EXPECT_TRUE(r.ok) << "dice " << s.str() << " smooth " << smooth << ":\n" << r.message;
      EXPECT_GT(r.coords_checked, 0);
    }
    for (int64_t gamma : {0, 1, 2, 3}) {
      const auto r = ag::gradcheck([&](auto& v) { return ag::focal_loss(v[0], t, gamma); },
                                   {logits(s, seed++)});
      EXPECT_TRUE(r.ok) << "focal " << s.str() << " gamma " << gamma << ":\n" << r.message;
    }
  }
}

TEST(SegmentationLossValues, ExactCases) {
  // gamma 0 is the cross-entropy.
  const ag::Var x = logits({2, 3, 4, 4}, 1);
  const Tensor t = classes({2, 4, 4}, 3, 2);
  EXPECT_NEAR(ag::focal_loss(x, t, 0).item(), ag::cross_entropy(x, t).item(), 1e-12);
  // Down-weighting: every pixel's term shrinks by (1 - p_t)^gamma < 1.
  EXPECT_LT(ag::focal_loss(x, t, 2).item(), ag::focal_loss(x, t, 1).item());
  // Confident, correct logits: Dice close to 0; confidently wrong: close to 1 (smooth 0).
  Tensor good = Tensor::zeros({1, 2, 2, 2}, DType::F64), tt = Tensor::zeros({1, 2, 2}, DType::F64);
  const double right[4] = {0, 1, 1, 0};
  for (int i = 0; i < 4; ++i) {
    tt.data<double>()[i] = right[i];
    good.data<double>()[int(right[i]) * 4 + i] = 40.0;
  }
  EXPECT_NEAR(ag::dice_loss(ag::Var(good), tt, 0.0).item(), 0.0, 1e-12);
  Tensor bad = Tensor::zeros({1, 2, 2, 2}, DType::F64);
  for (int i = 0; i < 4; ++i) bad.data<double>()[(1 - int(right[i])) * 4 + i] = 40.0;
  EXPECT_NEAR(ag::dice_loss(ag::Var(bad), tt, 0.0).item(), 1.0, 1e-12);
  // Uniform probabilities 1/2 on two classes with two pixels of each: per class
  // 2 * (2 * 1/2) / (2 + 2) = 1/2.
  EXPECT_NEAR(ag::dice_loss(ag::Var(Tensor::zeros({1, 2, 2, 2}, DType::F64)), tt, 0.0).item(), 0.5,
              1e-12);
  // Per-sample means: a batch's loss is the mean of its samples' (micro-batches rely on it).
  const ag::Var x0(x.value().slice(0, 0, 1)), x1(x.value().slice(0, 1, 2));
  const Tensor t0 = t.slice(0, 0, 1), t1 = t.slice(0, 1, 2);
  EXPECT_NEAR(ag::dice_loss(x, t).item(),
              0.5 * (ag::dice_loss(x0, t0).item() + ag::dice_loss(x1, t1).item()), 1e-12);
  EXPECT_NEAR(ag::focal_loss(x, t).item(),
              0.5 * (ag::focal_loss(x0, t0).item() + ag::focal_loss(x1, t1).item()), 1e-12);
}

TEST(SegmentationLossValues, BadTargetsNamed) {
  const ag::Var x = logits({1, 2, 2, 2}, 3);
  Tensor t = Tensor::zeros({1, 2, 2}, DType::F64);
  t.data<double>()[3] = 2;
  test::expect_error<UsageError>([&] { ag::dice_loss(x, t); },
                                 {"dice_loss", "target 2", "pixel 3", "[0, 2)"});
  t.data<double>()[3] = -100;  // an ignore index has no meaning for these losses
  test::expect_error<UsageError>([&] { ag::focal_loss(x, t); }, {"focal_loss", "target -100"});
  test::expect_error<ShapeError>(
      [&] {
        ag::focal_loss(x, Tensor::zeros({1, 3}, DType::F64));
      },
      {"focal_loss", "[1,3]", "[1,2,2,2]"});
  test::expect_error<UsageError>([&] { ag::focal_loss(x, t.clone(), 9); }, {"gamma", "9"});
}

TEST(SegmentationLossParity, PyTorch) {
  const test::Fixture f = test::load_fixture("segmentation_loss");
  int count = 0;
  for (int k = 0;; ++k) {
    char key[16];
    std::snprintf(key, sizeof key, "c%02d", k);
    const std::string cfg = key;
    if (!f.has(cfg + ".x")) break;
    ++count;
    const auto p = f[cfg + ".params"].to_vector();
    ag::Var x(f[cfg + ".x"].clone(), true);
    const ag::Var loss = p[0] == 0 ? ag::focal_loss(x, f[cfg + ".t"], int64_t(p[1]))
                                   : ag::dice_loss(x, f[cfg + ".t"], p[1]);
    loss.backward();
    EXPECT_NEAR(loss.item(), f[cfg + ".loss"].to_vector()[0], 1e-12) << cfg;
    EXPECT_TRUE(test::tensors_close(x.grad(), f[cfg + ".gx"], 1e-10, 1e-12, cfg + " grad"));
  }
  EXPECT_EQ(count, 28);
}

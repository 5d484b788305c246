// Loss names and sums: parsing "a + w*b", names written back, the sum's value and the errors.
#include <gtest/gtest.h>

#include "autograd/functional.hpp"
#include "support/throws.hpp"
#include "train/losses.hpp"

namespace physcnn::train {
namespace {

namespace ag = physcnn::autograd;

TEST(Losses, ParseSumsAndWriteThemBack) {
  const LossKind one = parse_loss("dice");
  ASSERT_EQ(one.parts.size(), 1u);
  EXPECT_EQ(one.parts[0].term, LossTerm::Dice);
  EXPECT_TRUE(one.per_pixel());
  EXPECT_EQ(one.family(), LossTerm::PixelCrossEntropy);
  const LossKind sum = parse_loss(" pixel_cross_entropy + 0.5 * dice+focal(3) ");
  ASSERT_EQ(sum.parts.size(), 3u);
  EXPECT_EQ(sum.parts[1].weight, 0.5);
  EXPECT_EQ(sum.parts[2].term, LossTerm::Focal);
  EXPECT_EQ(sum.parts[2].gamma, 3);
  EXPECT_EQ(loss_name(sum), "pixel_cross_entropy + 0.5*dice + focal(3)");
  EXPECT_EQ(loss_name(parse_loss(loss_name(sum))), loss_name(sum));
  EXPECT_EQ(loss_name(LossKind::Mse), "mse");
  EXPECT_FALSE(is_classification(LossKind::Mse));
  EXPECT_EQ(metric_names(sum, 5),
            (std::vector<std::string>{"accuracy", "mean_iou", "efficiency", "purity"}));
}

TEST(Losses, SumIsTheWeightedSumOfItsTerms) {
  Rng rng(4);
  const ag::Var x(Tensor::uniform({2, 3, 4, 4}, -2, 2, rng, DType::F64));
  Tensor t = Tensor::empty({2, 4, 4}, DType::F64);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = double(rng.below(3));
  const double expected = ag::cross_entropy(x, t).item() + 0.5 * ag::dice_loss(x, t).item() +
                          ag::focal_loss(x, t, 2).item();
  EXPECT_NEAR(loss_of(x, t, parse_loss("pixel_cross_entropy + 0.5*dice + focal")).item(), expected,
              1e-12);
}

TEST(Losses, BadNamesAndMixedTargetsAreUsageErrors) {
  test::expect_error<UsageError>([] { parse_loss("pixel_cross_entropy + dise"); },
                                 {"dise", "dice", "pixel_cross_entropy + dise"});
  test::expect_error<UsageError>([] { parse_loss("mse + dice"); }, {"dice", "mse", "targets"});
  test::expect_error<UsageError>([] { parse_loss("mse + mse"); }, {"per-pixel"});
  test::expect_error<UsageError>([] { parse_loss("-1*dice"); }, {"weight", "-1"});
  test::expect_error<UsageError>([] { parse_loss("focal(x)"); }, {"focal(G)", "x"});
  test::expect_error<UsageError>([] { parse_loss("dice +"); }, {"unknown loss ''"});
}

}  // namespace
}  // namespace physcnn::train

// Transforms: D4 group laws, exact rotations, translations and the spin flip preserving the
// periodic Ising energy, random transforms reproducible from their generator, and normalisation
// statistics taken from the training split only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/split.hpp"
#include "data/transforms.hpp"
#include "helpers.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::ising_energy;
using physcnn::test::same_values;

namespace {
// 1..L*L on an L×L grid with a channel axis: no symmetry maps it to itself.
Tensor asymmetric(int64_t L) {
  return add(Tensor::arange(L * L, DType::F64), 1.0).reshape(Shape{1, L, L});
}

Tensor random_spins(int64_t L, uint64_t seed) {
  Rng rng(seed);
  return sign(Tensor::uniform(Shape{1, L, L}, -1, 1, rng));
}

std::vector<double> sorted_values(const Tensor& t) {
  auto v = t.to_vector();
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

TEST(Transforms, D4GroupLaws) {
  const Tensor x = asymmetric(5);
  std::vector<Tensor> images;
  for (int k = 0; k < 8; ++k) images.push_back(d4(x, k));
  EXPECT_TRUE(same_values(images[0], x));  // identity
  for (int a = 0; a < 8; ++a)
    for (int b = a + 1; b < 8; ++b) EXPECT_FALSE(same_values(images[a], images[b])) << a << b;
  auto index_of = [&](const Tensor& y) {
    for (int k = 0; k < 8; ++k)
      if (same_values(y, images[size_t(k)])) return k;
    return -1;
  };
  for (int a = 0; a < 8; ++a) {
    bool has_inverse = false;
    for (int b = 0; b < 8; ++b) {
      const Tensor ab = d4(d4(x, a), b);
      EXPECT_GE(index_of(ab), 0) << "closure fails for " << a << ", " << b;
      has_inverse |= same_values(ab, x);
    }
    EXPECT_TRUE(has_inverse) << "element " << a;
  }
  // Named maps agree with the group elements.
  EXPECT_TRUE(same_values(flip2d(x, true, false), images[4]));
  EXPECT_TRUE(same_values(flip2d(x, true, true), images[2]));
  EXPECT_TRUE(physcnn::test::throws_with<ShapeError>(
      [] {
        d4(Tensor::zeros(Shape{1, 3, 4}), 1);
      },
      {"d4", "[1,3,4]"}));
}

TEST(Transforms, RotationByAngle) {
  const Tensor x = asymmetric(6);
  EXPECT_LT(max_abs_diff(rotate2d(x, 90.0), d4(x, 1)), 1e-12);
  EXPECT_LT(max_abs_diff(rotate2d(x, 180.0), d4(x, 2)), 1e-12);
  EXPECT_LT(max_abs_diff(rotate2d(x, -90.0), d4(x, 3)), 1e-12);
  EXPECT_LT(max_abs_diff(rotate2d(x, 0.0), x), 1e-12);
  // A small turn of a constant image keeps the interior and fills corners with zeros.
  const Tensor ones = Tensor::ones(Shape{1, 9, 9}, DType::F64);
  const Tensor r = rotate2d(ones, 10.0);
  EXPECT_NEAR(r.at({0, 4, 4}), 1.0, 1e-12);
  EXPECT_NEAR(r.at({0, 3, 5}), 1.0, 1e-12);
  EXPECT_LT(r.at({0, 0, 0}), 0.5);
  // Bilinear: the rotated image's values stay within the input's range.
  const Tensor y = rotate2d(x, 17.0);
  for (double v : y.to_vector()) EXPECT_TRUE(v >= 0.0 && v <= 36.0 + 1e-9);
}

TEST(Transforms, TranslationsPreserveValuesAndEnergy) {
  const Tensor s = random_spins(8, 4);
  const double e = ising_energy(s);
  for (auto [dy, dx] : std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {3, -2}, {-9, 17}}) {
    const Tensor t = translate2d(s, dy, dx, Fill::Periodic);
    EXPECT_EQ(sorted_values(t), sorted_values(s));
    EXPECT_DOUBLE_EQ(ising_energy(t), e);
    EXPECT_EQ(t.at({0, ((dy % 8) + 8) % 8, ((dx % 8) + 8) % 8}), s.at({0, 0, 0}));
  }
  for (int k = 0; k < 8; ++k) EXPECT_DOUBLE_EQ(ising_energy(d4(s, k)), e);
  // Z2: the energy stays, the magnetisation changes sign.
  const Tensor f = sign_flip(s);
  EXPECT_DOUBLE_EQ(ising_energy(f), e);
  EXPECT_DOUBLE_EQ(sum_all(f), -sum_all(s));
  // The lattice batch augmentation keeps every sample's energy.
  Tensor batch = Tensor::zeros(Shape{3, 1, 8, 8});
  for (int64_t n = 0; n < 3; ++n) batch.select(0, n).copy_(random_spins(8, 10 + uint64_t(n)));
  Rng rng(5);
  const Tensor aug = augment_lattices(batch, {}, rng);
  for (int64_t n = 0; n < 3; ++n)
    EXPECT_DOUBLE_EQ(ising_energy(aug.select(0, n)), ising_energy(batch.select(0, n)));
  // Zero fill: the shifted-in border is 0 and the rest moved.
  const Tensor x = asymmetric(4);
  const Tensor z = translate2d(x, 1, -1, Fill::Zeros);
  EXPECT_EQ(z.at({0, 0, 2}), 0.0);
  EXPECT_EQ(z.at({0, 2, 3}), 0.0);
  EXPECT_EQ(z.at({0, 1, 0}), x.at({0, 0, 1}));
}

TEST(Transforms, RandomTransformsAreReproducible) {
  const Tensor s = random_spins(6, 7);
  const Transform t = compose({random_d4(), random_translate(), random_sign_flip(), random_rot90(),
                               random_flip({.horizontal = 0.5, .vertical = 0.5})});
  int changed = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng a(seed), b(seed);
    const Tensor ya = t(s, a), yb = t(s, b);
    EXPECT_TRUE(same_values(ya, yb));
    EXPECT_DOUBLE_EQ(ising_energy(ya), ising_energy(s));  // all of them are lattice symmetries
    changed += !same_values(ya, s);
  }
  EXPECT_GT(changed, 10);

  const Tensor img = asymmetric(5);
  Rng rng(3);
  for (int i = 0; i < 10; ++i) {
    const Tensor c = random_crop({.padding = 2})(img, rng);
    EXPECT_EQ(c.shape(), img.shape());
    const Tensor r = random_rotate({.max_degrees = 15})(img, rng);
    EXPECT_EQ(r.shape(), img.shape());
    const Tensor z = random_translate({.max_shift = 2, .fill = Fill::Zeros})(img, rng);
    EXPECT_LE(sum_all(z), sum_all(img));  // zero fill only loses values
  }
  // padding 0 crops the image itself
  EXPECT_TRUE(same_values(padded_crop2d(img, 0, 0, 0), img));
  EXPECT_TRUE(same_values(padded_crop2d(img, 2, 2, 2), img));

  const Tensor big = Tensor::zeros(Shape{1, 100, 100}, DType::F64);
  const Tensor noisy = gaussian_noise({.stddev = 0.5})(big, rng);
  EXPECT_NEAR(mean_all(noisy), 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(mean_all(square(noisy))), 0.5, 0.02);

  EXPECT_THROW(random_flip({.horizontal = 1.5}), UsageError);
  EXPECT_THROW(random_translate({.max_shift = -1, .fill = Fill::Zeros}), UsageError);
  EXPECT_THROW(gaussian_noise({.stddev = -1}), UsageError);
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>([&] { padded_crop2d(img, 1, 3, 0); },
                                                     {"padded_crop2d", "(3, 0)", "2"}));
  // Issue 18, item 4: a padding past the image is refused before the padded copy exists
  // (crop = 4e8 took 12.5 GB and rising).
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [&] { random_crop({.padding = 400'000'000})(img, rng); },
      {"random_crop: padding 400000000 is more than the height or width of the sample"}));
}

TEST(Transforms, NormalisationStatisticsFromTrainingSplitOnly) {
  // Channel 0 ~ U(0, 1), channel 1 ~ U(10, 14); the last 40 samples are shifted by +100 so that
  // statistics leaking from them would be obvious.
  const int64_t n = 200;
  Rng rng(8);
  Tensor x = Tensor::empty(Shape{n, 2, 4, 4});
  x.select(1, 0).copy_(Tensor::uniform(Shape{n, 4, 4}, 0, 1, rng));
  x.select(1, 1).copy_(Tensor::uniform(Shape{n, 4, 4}, 10, 14, rng));
  for (int64_t i = 160; i < n; ++i) x.select(0, i).copy_(add(x.select(0, i), 100.0));
  std::vector<int64_t> labels(size_t(n), 0);
  const auto ds = std::make_shared<TensorDataset>(x, labels);
  const auto train = std::make_shared<Subset>(ds, [] {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < 160; ++i) v.push_back(i);
    return v;
  }());
  const ChannelStats st = channel_stats(*train);
  ASSERT_EQ(st.mean.size(), 2u);
  // Expected values straight from the training samples.
  const Tensor xt = x.slice(0, 0, 160);
  for (int64_t c = 0; c < 2; ++c) {
    const Tensor ch = xt.select(1, c).contiguous();
    const double m = mean_all(ch);
    const double sd = std::sqrt(mean_all(square(add(ch, -m))));
    EXPECT_NEAR(st.mean[size_t(c)], m, 1e-9 * std::abs(m) + 1e-12);
    EXPECT_NEAR(st.std[size_t(c)], sd, 1e-6 * sd);
  }
  EXPECT_LT(st.mean[1], 13.0);  // the +100 samples stayed out
  // Normalised training data: mean 0, std 1 per channel.
  const Tensor z = normalize(xt, st);
  for (int64_t c = 0; c < 2; ++c) {
    const Tensor ch = z.select(1, c).contiguous();
    EXPECT_NEAR(mean_all(ch), 0.0, 1e-5);
    EXPECT_NEAR(mean_all(square(ch)), 1.0, 1e-4);
  }
  // The transform form and the stored map.
  Rng unused(0);
  EXPECT_TRUE(same_values(normalize(st)(x.select(0, 3), unused), z.select(0, 3).contiguous()));
  const ChannelStats back = ChannelStats::from_map(st.to_map());
  EXPECT_EQ(back.mean, st.mean);
  EXPECT_EQ(back.std, st.std);
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>(
      [] {
        normalize(ChannelStats{{0.5}, {0.0}});
      },
      {"normalize", "channel 0", "std 0"}));
  EXPECT_TRUE(physcnn::test::throws_with<ShapeError>(
      [&] {
        normalize(Tensor::zeros(Shape{3, 4, 4}), st);
      },
      {"normalize", "3 channels", "2"}));
}

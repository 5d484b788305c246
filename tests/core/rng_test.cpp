// Counter-based RNG: reproducible, independent streams, sane moments.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/shape.hpp"

using namespace physcnn;

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs = differs || x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, StateRoundTrip) {
  Rng a(7);
  a.next_u32();
  a.next_u32();
  a.next_u32();
  a.next_u32();
  Rng b(a.state());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u32(), b.next_u32());
}

TEST(Rng, UniformAndNormalMoments) {
  Rng r(1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
}

TEST(Rng, ForksAreDistinct) {
  Rng base(5);
  Rng f1 = base.fork(1), f2 = base.fork(2);
  int same = 0;
  for (int i = 0; i < 64; ++i) same += f1.next_u32() == f2.next_u32();
  EXPECT_LT(same, 3);
}

TEST(Shape, NormalizeAndErrors) {
  Shape s{8, 3, 32, 32};
  EXPECT_EQ(s.numel(), 8 * 3 * 32 * 32);
  EXPECT_EQ(s[-1], 32);
  EXPECT_EQ(s.str(), "[8,3,32,32]");
  EXPECT_THROW(s.normalize(4), ShapeError);
}

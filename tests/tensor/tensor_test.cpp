// Tensor views, broadcasting, reductions, concat and padding against hand-computed values.
#include <gtest/gtest.h>

#include "tensor/ops.hpp"

using namespace physcnn;

namespace {
Tensor seq(const Shape& s, DType dt = DType::F64) {
  Tensor t = Tensor::arange(s.numel(), dt);
  return t.reshape(s);
}
}  // namespace

TEST(Tensor, ViewsShareStorage) {
  Tensor a = seq({2, 3});
  Tensor t = a.transpose(0, 1);
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.at({2, 1}), 5.0);
  EXPECT_EQ(t.contiguous().to_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  Tensor s = a.slice(1, 1, 3);
  s.fill_(-1);
  EXPECT_EQ(a.to_vector(), (std::vector<double>{0, -1, -1, 3, -1, -1}));
  EXPECT_EQ(a.select(0, 1).to_vector(), (std::vector<double>{3, -1, -1}));
}

TEST(Tensor, ReshapeInfersAndRejects) {
  Tensor a = seq({2, 3, 4});
  EXPECT_EQ(a.reshape({-1, 4}).shape(), (Shape{6, 4}));
  EXPECT_EQ(a.flatten().shape(), (Shape{2, 12}));
  EXPECT_THROW(a.reshape({5, 5}), ShapeError);
}

TEST(Tensor, DtypeConversion) {
  Tensor a = seq({4}, DType::F32);
  Tensor b = a.to(DType::F64);
  EXPECT_EQ(b.dtype(), DType::F64);
  EXPECT_EQ(b.to_vector(), a.to_vector());
  EXPECT_THROW(a.data<double>(), Error);
}

TEST(Ops, BroadcastAddAndSumTo) {
  Tensor a = seq({2, 3, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{10, 20, 30}, {3, 1});
  Tensor c = add(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(c.at({1, 2, 1}), 11 + 30.0);
  Tensor r = sum_to(c, {3, 1});
  EXPECT_EQ(r.to_vector(), (std::vector<double>{(0 + 1 + 6 + 7) + 40.0, (2 + 3 + 8 + 9) + 80.0,
                                                (4 + 5 + 10 + 11) + 120.0}));
  EXPECT_THROW(add(seq({2, 3}), seq({4})), ShapeError);
  EXPECT_THROW(add(seq({2}), seq({2}, DType::F32)), UsageError);
}

TEST(Ops, ReductionsAndMax) {
  Tensor a = seq({2, 3});
  EXPECT_EQ(sum(a, {1}).to_vector(), (std::vector<double>{3, 12}));
  EXPECT_EQ(mean(a, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(mean(a, {0}).to_vector(), (std::vector<double>{1.5, 2.5, 3.5}));
  auto [v, idx] = max(a, 1);
  EXPECT_EQ(v.to_vector(), (std::vector<double>{2, 5}));
  EXPECT_EQ(idx, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(sum_all(a), 15.0);
}

TEST(Ops, ConcatAndSplit) {
  Tensor a = seq({1, 2, 2}), b = add(seq({1, 1, 2}), 100.0);
  Tensor c = concat({a, b}, 1);
  EXPECT_EQ(c.shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 1, 2, 3, 100, 101}));
  auto parts = split(c, {2, 1}, 1);
  EXPECT_EQ(parts[1].to_vector(), b.to_vector());
  EXPECT_THROW(concat({a, seq({1, 2, 3})}, 1), ShapeError);
}

TEST(Ops, SplitEqualsSlicesAlongEveryDimension) {
  // split copies contiguous blocks (threaded when large); it must equal slice + contiguous.
  for (DType dt : {DType::F32, DType::F64}) {
    const Tensor big = seq({4, 6, 40, 33}).to(dt);  // 31,680 elements: several threads' worth
    for (int64_t dim = 0; dim < 4; ++dim) {
      for (const Tensor& a : {big, big.transpose(1, 2)}) {  // contiguous, then strided
        const std::vector<int64_t> sizes{1, a.size(dim) - 3, 2};
        const auto parts = split(a, sizes, dim);
        ASSERT_EQ(parts.size(), 3u);
        int64_t at = 0;
        for (size_t i = 0; i < 3; ++i) {
          EXPECT_EQ(parts[i].shape(), a.slice(dim, at, at + sizes[i]).shape());
          EXPECT_EQ(parts[i].to_vector(), a.slice(dim, at, at + sizes[i]).contiguous().to_vector())
              << "dim " << dim << " piece " << i;
          at += sizes[i];
        }
      }
    }
  }
  EXPECT_THROW(split(seq({2, 3}), {1, 1}, 1), ShapeError);
}

TEST(Tensor, ContiguousOfRowContiguousViewsMatchesElementOrder) {
  // contiguous() of a view with unit-stride rows copies row by row; to_vector() walks the view
  // element by element: both must agree, for crops, channel slices and transposed outer dims.
  for (DType dt : {DType::F32, DType::F64}) {
    const Tensor a = seq({3, 5, 7, 12}).to(dt);
    // Channel slices (whole planes merge into one run), crops, a single channel, transposed
    // outer dimensions, and rows too short for the run path (3 elements).
    const std::vector<Tensor> views{a.slice(1, 1, 4),
                                    a.slice(3, 2, 11),
                                    a.slice(2, 1, 6),
                                    a.transpose(0, 2),
                                    a.slice(0, 1, 3).slice(3, 0, 8),
                                    a.slice(1, 2, 3),
                                    a.slice(3, 2, 5)};
    for (size_t i = 0; i < views.size(); ++i) {
      const Tensor c = views[i].contiguous();
      EXPECT_TRUE(c.is_contiguous());
      EXPECT_EQ(c.shape(), views[i].shape());
      EXPECT_EQ(c.to_vector(), views[i].to_vector()) << "view " << i;
    }
  }
}

TEST(Ops, PadModes) {
  Tensor a = seq({1, 1, 1, 3});  // 0 1 2
  EXPECT_EQ(pad(a, {2, 1}, PadMode::Zeros).to_vector(), (std::vector<double>{0, 0, 0, 1, 2, 0}));
  EXPECT_EQ(pad(a, {2, 1}, PadMode::Circular).to_vector(), (std::vector<double>{1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(pad(a, {2, 1}, PadMode::Reflect).to_vector(), (std::vector<double>{2, 1, 0, 1, 2, 1}));
  EXPECT_EQ(pad(a, {2, 1}, PadMode::Replicate).to_vector(),
            (std::vector<double>{0, 0, 0, 1, 2, 2}));
  EXPECT_THROW(pad(a, {3, 0}, PadMode::Reflect), ShapeError);
  EXPECT_THROW(pad(a, {4, 0}, PadMode::Circular), ShapeError);
  // 2-D circular: a 2x2 lattice padded by one on every side wraps around.
  Tensor l = seq({1, 1, 2, 2});
  Tensor p = pad(l, {1, 1, 1, 1}, PadMode::Circular);
  EXPECT_EQ(p.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(p.to_vector(), (std::vector<double>{3, 2, 3, 2, 1, 0, 1, 0, 3, 2, 3, 2, 1, 0, 1, 0}));
  // The backward folds each padded copy onto its source: every source counted 4 times here.
  Tensor g =
      pad_backward(Tensor::ones(p.shape(), DType::F64), l.shape(), {1, 1, 1, 1}, PadMode::Circular);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{4, 4, 4, 4}));
}

TEST(Ops, InPlaceBroadcastAddMatchesOutOfPlace) {
  Tensor a = seq({3, 2, 4});
  const Tensor expect_row = add(a, seq({4}));
  const Tensor expect_plane = add(a, seq({2, 4}));
  const Tensor expect_col = add(a, seq({2, 1}));  // not a trailing block: the general path
  Tensor r = a.clone(), p = a.clone(), c = a.clone();
  add_(r, seq({4}));
  add_(p, seq({2, 4}));
  add_(c, seq({2, 1}));
  EXPECT_EQ(max_abs_diff(r, expect_row), 0.0);
  EXPECT_EQ(max_abs_diff(p, expect_plane), 0.0);
  EXPECT_EQ(max_abs_diff(c, expect_col), 0.0);
  Tensor small = seq({4});
  EXPECT_THROW(add_(small, seq({3, 4})), ShapeError);
}

// Extents whose product wraps around 2^64, or asks for more than any machine has, are refused
// with the shape named before anything is allocated (an upsample scale of 5e8 used to report
// a wrapped byte count, and 1e9 spun forever in the allocator's size classes).
TEST(Tensor, HugeOrWrappingShapesAreRefusedBeforeAllocating) {
  const int64_t big = int64_t{1} << 40;
  for (const Shape& s : {Shape{big, big}, Shape{1, 1, big, big, 8}, Shape{int64_t{1} << 38, 8}}) {
    try {
      Tensor::empty(s, DType::F32);
      ADD_FAILURE() << s.str() << " was allocated";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(s.str()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("TiB"), std::string::npos) << e.what();
    }
  }
  // The largest allowed size class is still computed, not looped on.
  EXPECT_EQ(Tensor::empty({0, big, big}, DType::F64).numel(), 0);
}

// The invariance probe: transforms against numpy's definitions, and the physics-meaningful exact
// case: the W3 Ising network (circular padding, one 2x2 max pool, global average pool) is exactly
// invariant to periodic shifts by multiples of its total pooling stride 2, and only then.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/inspect.hpp"
#include "nn/models/models.hpp"
#include "support/throws.hpp"

using namespace physcnn;
using namespace physcnn::nn;

namespace {

// Random +-1 spins (N, 1, L, L) in float64.
Tensor spins(int64_t n, int64_t L, uint64_t seed) {
  Rng rng(seed);
  Tensor u = Tensor::uniform({n, 1, L, L}, -1, 1, rng, DType::F64);
  for (int64_t i = 0; i < u.numel(); ++i) u.data<double>()[i] = u.data<double>()[i] < 0 ? -1 : 1;
  return u;
}

const ProbeLayer& row(const ProbeResult& r, const std::string& path) {
  for (const auto& l : r.layers)
    if (l.path == path) return l;
  throw std::runtime_error("no row " + path);
}

}  // namespace

TEST(Probe, TransformsFollowNumpy) {
  // a = [[0,1,2],[3,4,5]]
  const Tensor a = Tensor::arange(6, DType::F64).reshape({1, 1, 2, 3});
  auto values = [](const Tensor& t) { return t.to_vector(); };
  // np.rot90(a) = [[2,5],[1,4],[0,3]]
  const Tensor r1 = apply_transform(a, {.kind = ProbeKind::Rotate90, .quarter_turns = 1});
  EXPECT_EQ(r1.shape(), Shape({1, 1, 3, 2}));
  EXPECT_EQ(values(r1), (std::vector<double>{2, 5, 1, 4, 0, 3}));
  // np.rot90(a, 3) = [[3,0],[4,1],[5,2]]
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::Rotate90, .quarter_turns = -1})),
            (std::vector<double>{3, 0, 4, 1, 5, 2}));
  // np.rot90(a, 2) = [[5,4,3],[2,1,0]]
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::Rotate90, .quarter_turns = 2})),
            (std::vector<double>{5, 4, 3, 2, 1, 0}));
  // np.roll(a, (1, 1), axis=(0, 1)) = [[5,3,4],[2,0,1]]
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::ShiftPeriodic, .dy = 1, .dx = 1})),
            (std::vector<double>{5, 3, 4, 2, 0, 1}));
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::ShiftZero, .dx = -1})),
            (std::vector<double>{1, 2, 0, 4, 5, 0}));
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::FlipHorizontal})),
            (std::vector<double>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(values(apply_transform(a, {.kind = ProbeKind::FlipVertical})),
            (std::vector<double>{3, 4, 5, 0, 1, 2}));
  test::expect_error<ShapeError>(
      [&] { apply_transform(Tensor::zeros({4}), {.kind = ProbeKind::FlipVertical}); },
      {"apply_transform", "flip vertical", "[4]"});
}

TEST(Probe, IsingNetworkIsExactlyInvariantToShiftsByMultiplesOfItsStride) {
  auto model = models::ising_cnn(7);
  model->to(DType::F64);
  const Tensor x = spins(4, 16, 1);
  const auto results = probe_invariance(*model, x,
                                        {{.kind = ProbeKind::ShiftPeriodic, .dy = 2},
                                         {.kind = ProbeKind::ShiftPeriodic, .dy = 4, .dx = -6},
                                         {.kind = ProbeKind::ShiftPeriodic, .dy = 1},
                                         {.kind = ProbeKind::ShiftPeriodic, .dx = 3},
                                         {.kind = ProbeKind::ShiftZero, .dy = 2},
                                         {.kind = ProbeKind::Rotate90, .quarter_turns = 1},
                                         {.kind = ProbeKind::FlipHorizontal}});
  ASSERT_EQ(results.size(), 7u);
  // Rows: the leaves, without the containers that only hand on their last child's output.
  ASSERT_EQ(results[0].layers.size(), 8u);
  EXPECT_EQ(results[0].layers[2].path, "features.2");
  EXPECT_EQ(results[0].layers[2].shape, Shape({16, 8, 8}));
  for (int k = 0; k < 2; ++k) {
    const auto& r = results[k];
    SCOPED_TRACE(r.transform.name());
    for (const auto& l : r.layers) {
      if (l.shape.rank() == 3) {
        EXPECT_LT(l.equivariance, 1e-13) << l.path;  // every spatial layer
      }
      if (l.path.rfind("classifier", 0) == 0) {
        EXPECT_LT(l.invariance, 1e-13) << l.path;
      }
    }
    EXPECT_LT(r.output_change, 1e-13);
    EXPECT_EQ(r.agreement, 1.0);
  }
  for (int k = 2; k < 4; ++k) {
    const auto& r = results[k];
    SCOPED_TRACE(r.transform.name());
    // Before the pool the convolutions are still exactly equivariant to an odd shift ...
    EXPECT_LT(row(r, "features.0").equivariance, 1e-13);
    EXPECT_LT(row(r, "features.1").equivariance, 1e-13);
    // ... after it a one-pixel shift is not a whole shift of the pooled map: not defined ...
    EXPECT_TRUE(std::isnan(row(r, "features.2").equivariance));
    // ... and the prediction is no longer exactly invariant.
    EXPECT_GT(r.output_change, 1e-6);
  }
  // Zero fill breaks the periodic lattice, a 90-degree turn and a flip the learned filters.
  EXPECT_GT(row(results[4], "features.0").equivariance, 1e-3);
  EXPECT_GT(row(results[5], "features.0").equivariance, 1e-3);
  EXPECT_GT(row(results[6], "features.0").equivariance, 1e-3);
  // A non-spatial layer has no equivariance to measure.
  EXPECT_TRUE(std::isnan(row(results[0], "classifier.2").equivariance));
}

TEST(Probe, DefaultTransformsAndErrors) {
  const auto t = default_probe_transforms(28, 28, 4);
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(t[2].name(), "shift periodic (4,0)");
  EXPECT_EQ(t[8].name(), "rot90 x1");
  EXPECT_EQ(default_probe_transforms(20, 30).size(), 11u);  // no quarter turn of a non-square
  auto model = models::ising_cnn(1);
  test::expect_error<ShapeError>(
      [&] {
        probe_invariance(*model, Tensor::zeros({2, 16, 16}), t);
      },
      {"probe_invariance", "(N, C, H, W)", "[2,16,16]"});
  EXPECT_EQ(relative_change(Tensor::zeros({3}), Tensor::zeros({3})), 0.0);
  EXPECT_TRUE(std::isinf(relative_change(Tensor::ones({3}), Tensor::zeros({3}))));
}

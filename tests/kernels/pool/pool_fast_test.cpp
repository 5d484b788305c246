// Fast float kernels against the reference kernels over a grid of shapes and geometries. The
// fast kernels keep the reference's arithmetic order, so results must agree exactly; backward
// kernels are checked to accumulate into a non-zero gradient buffer.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.hpp"
#include "kernels/backend.hpp"
#include "kernels/pool.hpp"
#include "kernels/upsample.hpp"

using namespace physcnn;
using namespace physcnn::kernels;

namespace {
std::vector<float> random_floats(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& e : v) e = static_cast<float>(rng.uniform(-1.0, 1.0));
  return v;
}

std::string describe(const Pool2dDesc& d) {
  return "N" + std::to_string(d.N) + " C" + std::to_string(d.C) + " in " + std::to_string(d.IH) +
         "x" + std::to_string(d.IW) + " k" + std::to_string(d.KH) + "x" + std::to_string(d.KW) +
         " s" + std::to_string(d.SH) + "x" + std::to_string(d.SW) + " p" + std::to_string(d.PH) +
         "x" + std::to_string(d.PW) + " d" + std::to_string(d.DH) + "x" + std::to_string(d.DW) +
         (d.ceil_mode ? " ceil" : "") + (d.count_include_pad ? "" : " excl-pad");
}

struct Geometry {
  int64_t KH, KW, SH, SW, PH, PW, DH, DW;
  bool ceil_mode;
};

// Resolved descriptors for every geometry that fits the input; the grid includes the fast
// 2x2/2 path, its ceil-mode tail fallback, padding, dilation and rectangular windows, and a
// batch big enough to be split across threads.
std::vector<Pool2dDesc> pool_grid() {
  const std::vector<std::array<int64_t, 4>> inputs = {
      {1, 1, 1, 1}, {1, 1, 2, 2}, {3, 4, 7, 5}, {2, 3, 8, 8}, {1, 2, 16, 33}, {8, 16, 32, 32}};
  const std::vector<Geometry> geos = {
      {2, 2, 2, 2, 0, 0, 1, 1, false}, {2, 2, 2, 2, 0, 0, 1, 1, true},
      {3, 3, 2, 2, 1, 1, 1, 1, false}, {3, 3, 2, 2, 1, 1, 1, 1, true},
      {3, 3, 1, 1, 1, 1, 2, 2, false}, {2, 3, 1, 2, 1, 0, 1, 1, false},
      {1, 1, 1, 1, 0, 0, 1, 1, false}, {3, 2, 3, 2, 1, 1, 1, 1, true}};
  std::vector<Pool2dDesc> out;
  for (const auto& in : inputs)
    for (const Geometry& g : geos)
      for (bool cip : {true, false}) {
        Pool2dDesc d{.N = in[0],
                     .C = in[1],
                     .IH = in[2],
                     .IW = in[3],
                     .KH = g.KH,
                     .KW = g.KW,
                     .SH = g.SH,
                     .SW = g.SW,
                     .PH = g.PH,
                     .PW = g.PW,
                     .DH = g.DH,
                     .DW = g.DW,
                     .ceil_mode = g.ceil_mode,
                     .count_include_pad = cip};
        if (pool_output_extent(d.IH, d.KH, d.SH, d.PH, d.DH, d.ceil_mode) < 1 ||
            pool_output_extent(d.IW, d.KW, d.SW, d.PW, d.DW, d.ceil_mode) < 1)
          continue;
        pool2d_resolve(d, "grid");
        out.push_back(d);
      }
  return out;
}
}  // namespace

static void check_max_against_reference() {
  int rows = 0;
  uint64_t seed = 1;
  for (const Pool2dDesc& d : pool_grid()) {
    if (!d.count_include_pad) continue;  // irrelevant to max pooling
    SCOPED_TRACE(describe(d));
    const int64_t in_n = d.N * d.C * d.IH * d.IW, out_n = d.N * d.C * d.OH * d.OW;
    const auto x = random_floats(in_n, seed++);
    std::vector<float> y_ref(out_n), y_fast(out_n), y_noidx(out_n);
    std::vector<int32_t> a_ref(out_n), a_fast(out_n);
    max_pool2d_forward_reference<float>(d, x.data(), y_ref.data(), a_ref.data());
    max_pool2d_forward_fast(d, x.data(), y_fast.data(), a_fast.data());
    max_pool2d_forward_fast(d, x.data(), y_noidx.data(), nullptr);
    EXPECT_EQ(y_ref, y_fast);
    EXPECT_EQ(y_ref, y_noidx);
    EXPECT_EQ(a_ref, a_fast);
    const auto g = random_floats(out_n, seed++);
    auto gx_ref = random_floats(in_n, seed++);  // non-zero start: backward must accumulate
    auto gx_fast = gx_ref;
    max_pool2d_backward_reference<float>(d, g.data(), a_ref.data(), gx_ref.data());
    max_pool2d_backward_fast(d, g.data(), a_fast.data(), gx_fast.data());
    EXPECT_EQ(gx_ref, gx_fast);
    ++rows;
  }
  EXPECT_GT(rows, 30);
}

static void check_max_2x2_ties_nans_infinities() {
  // The vectorised 2x2/2 path (8 windows per step) and its scalar row tail: output widths 7-25,
  // odd input sizes, values drawn from a few levels so that windows tie, with NaNs, infinities
  // and signed zeros, and a gradient buffer holding -0 (an untouched element keeps its sign).
  const float levels[] = {0.5f,
                          -0.0f,
                          0.0f,
                          1.0f,
                          -1.0f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  Rng rng(77);
  for (int64_t iw : {14, 15, 16, 17, 33, 50, 51}) {
    Pool2dDesc d{.N = 2, .C = 3, .IH = 5, .IW = iw, .KH = 2, .KW = 2, .SH = 2, .SW = 2};
    pool2d_resolve(d, "ties");
    SCOPED_TRACE(describe(d));
    const int64_t in_n = d.N * d.C * d.IH * d.IW, out_n = d.N * d.C * d.OH * d.OW;
    std::vector<float> x(static_cast<size_t>(in_n));
    for (float& e : x) e = levels[rng.below(8)];
    std::vector<float> y_ref(out_n), y_fast(out_n);
    std::vector<int32_t> a_ref(out_n), a_fast(out_n);
    max_pool2d_forward_reference<float>(d, x.data(), y_ref.data(), a_ref.data());
    max_pool2d_forward_fast(d, x.data(), y_fast.data(), a_fast.data());
    EXPECT_EQ(a_ref, a_fast);
    for (int64_t i = 0; i < out_n; ++i)  // bitwise: NaN == NaN, -0 != +0
      ASSERT_EQ(std::bit_cast<uint32_t>(y_ref[i]), std::bit_cast<uint32_t>(y_fast[i])) << i;
    const auto g = random_floats(out_n, 78);
    std::vector<float> gx_ref(static_cast<size_t>(in_n), -0.0f), gx_fast = gx_ref;
    max_pool2d_backward_reference<float>(d, g.data(), a_ref.data(), gx_ref.data());
    max_pool2d_backward_fast(d, g.data(), a_fast.data(), gx_fast.data());
    for (int64_t i = 0; i < in_n; ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(gx_ref[i]), std::bit_cast<uint32_t>(gx_fast[i])) << i;
  }
}

// The max-pooling checks with the AVX2 kernels on (where the CPU has AVX2+FMA) and off (the
// portable loops, which other CPUs run).
template <class F>
void with_and_without_avx2(F&& check) {
  const FastPaths saved = fast_paths();
  for (bool avx2 : {true, false}) {
    FastPaths p = saved;
    p.avx2 = avx2;
    set_fast_paths(p);
    SCOPED_TRACE(avx2 && cpu_has_avx2_fma() ? "AVX2" : "portable");
    check();
  }
  set_fast_paths(saved);
}

TEST(PoolFast, MaxMatchesReference) {
  with_and_without_avx2(check_max_against_reference);
}

TEST(PoolFast, Max2x2TiesNaNsAndInfinitiesMatchReference) {
  with_and_without_avx2(check_max_2x2_ties_nans_infinities);
}

TEST(PoolFast, AvgMatchesReference) {
  int rows = 0;
  uint64_t seed = 1000;
  for (const Pool2dDesc& d0 : pool_grid()) {
    if (d0.DH != 1 || d0.DW != 1) continue;  // average pooling has no dilation
    const Pool2dDesc& d = d0;
    SCOPED_TRACE(describe(d));
    const int64_t in_n = d.N * d.C * d.IH * d.IW, out_n = d.N * d.C * d.OH * d.OW;
    const auto x = random_floats(in_n, seed++);
    std::vector<float> y_ref(out_n), y_fast(out_n);
    avg_pool2d_forward_reference<float>(d, x.data(), y_ref.data());
    avg_pool2d_forward_fast(d, x.data(), y_fast.data());
    EXPECT_EQ(y_ref, y_fast);
    const auto g = random_floats(out_n, seed++);
    auto gx_ref = random_floats(in_n, seed++);
    auto gx_fast = gx_ref;
    avg_pool2d_backward_reference<float>(d, g.data(), gx_ref.data());
    avg_pool2d_backward_fast(d, g.data(), gx_fast.data());
    EXPECT_EQ(gx_ref, gx_fast);
    ++rows;
  }
  EXPECT_GT(rows, 50);
}

TEST(UpsampleFast, MatchesReference) {
  const std::vector<std::array<int64_t, 4>> inputs = {
      {1, 1, 1, 1}, {2, 3, 4, 5}, {1, 2, 7, 3}, {8, 16, 16, 16}};
  // (OH, OW, scale_h, scale_w): explicit sizes (scale 0) and sizes from scale factors.
  struct Out {
    int64_t OH, OW;
    double sh, sw;
  };
  int rows = 0;
  uint64_t seed = 5000;
  for (const auto& in : inputs) {
    const std::vector<Out> outs = {{1, 1, 0, 0},
                                   {8, 10, 0, 0},
                                   {7, 11, 0, 0},
                                   {3, 2, 0, 0},
                                   {in[2], in[3], 0, 0},
                                   {2 * in[2], 2 * in[3], 2.0, 2.0},
                                   {int64_t(in[2] * 1.5), int64_t(in[3] * 2.5), 1.5, 2.5},
                                   {3 * in[2], 3 * in[3], 3.0, 3.0}};
    for (const Out& o : outs)
      for (auto filter : {UpsampleFilter::Nearest, UpsampleFilter::Bilinear})
        for (bool ac : {false, true}) {
          if (filter == UpsampleFilter::Nearest && ac) continue;
          if (o.OH < 1 || o.OW < 1) continue;
          const UpsampleDesc d{.N = in[0],
                               .C = in[1],
                               .IH = in[2],
                               .IW = in[3],
                               .OH = o.OH,
                               .OW = o.OW,
                               .filter = filter,
                               .align_corners = ac,
                               .scale_h = o.sh,
                               .scale_w = o.sw};
          SCOPED_TRACE(testing::Message()
                       << "in " << d.IH << "x" << d.IW << " out " << d.OH << "x" << d.OW
                       << " scale " << d.scale_h << "x" << d.scale_w << " bilinear "
                       << (filter != UpsampleFilter::Nearest) << " ac " << ac);
          const int64_t in_n = d.N * d.C * d.IH * d.IW, out_n = d.N * d.C * d.OH * d.OW;
          const auto x = random_floats(in_n, seed++);
          std::vector<float> y_ref(out_n), y_fast(out_n);
          upsample2d_forward_reference<float>(d, x.data(), y_ref.data());
          upsample2d_forward_fast(d, x.data(), y_fast.data());
          EXPECT_EQ(y_ref, y_fast);
          const auto g = random_floats(out_n, seed++);
          auto gx_ref = random_floats(in_n, seed++);
          auto gx_fast = gx_ref;
          upsample2d_backward_reference<float>(d, g.data(), gx_ref.data());
          upsample2d_backward_fast(d, g.data(), gx_fast.data());
          EXPECT_EQ(gx_ref, gx_fast);
          ++rows;
        }
  }
  EXPECT_GT(rows, 80);
}

TEST(PoolFast, GlobalAvgMatchesReferenceBitForBit) {
  // The whole-plane path sums 8 planes side by side; tails of 0-7 planes, one plane of one
  // pixel, and a batch large enough to be split across threads.
  uint64_t seed = 5000;
  const std::vector<std::array<int64_t, 4>> inputs = {
      {1, 1, 1, 1}, {1, 3, 5, 7}, {2, 4, 6, 6}, {3, 7, 16, 16}, {64, 32, 16, 16}};
  for (const auto& in : inputs) {
    const Pool2dDesc d = global_pool2d_desc(in[0], in[1], in[2], in[3]);
    SCOPED_TRACE(describe(d));
    const int64_t in_n = d.N * d.C * d.IH * d.IW, out_n = d.N * d.C;
    ASSERT_EQ(d.OH * d.OW, 1);
    const auto x = random_floats(in_n, seed++);
    std::vector<float> y_ref(out_n), y_fast(out_n, -7.0f);
    avg_pool2d_forward_reference<float>(d, x.data(), y_ref.data());
    avg_pool2d_forward_fast(d, x.data(), y_fast.data());
    EXPECT_EQ(y_ref, y_fast);
  }
}

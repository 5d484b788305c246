// The op x configuration table shared by the pooling/upsampling tests (gradcheck, PyTorch
// parity); tools/ref/pool_ref.py holds the same rows by name. A failing row prints its name.
#pragma once

#include <string>
#include <vector>

#include "autograd/functional.hpp"

namespace physcnn::test {

enum class PoolOp { MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d, GlobalAvg, GlobalMax, Upsample };

struct PoolCase {
  std::string name;
  PoolOp op;
  Shape shape;
  autograd::Pool2dArgs pool{};
  autograd::UpsampleArgs up{};
  // Max pooling picks one element per window: gradcheck needs inputs without near-ties.
  bool needs_distinct() const {
    return op == PoolOp::MaxPool2d || op == PoolOp::MaxPool1d || op == PoolOp::GlobalMax;
  }
};

inline autograd::Var run_case(const PoolCase& c, const autograd::Var& x) {
  namespace ag = physcnn::autograd;
  switch (c.op) {
    case PoolOp::MaxPool2d:
      return ag::max_pool2d(x, c.pool);
    case PoolOp::AvgPool2d:
      return ag::avg_pool2d(x, c.pool);
    case PoolOp::MaxPool1d:
      return ag::max_pool1d(x, c.pool);
    case PoolOp::AvgPool1d:
      return ag::avg_pool1d(x, c.pool);
    case PoolOp::GlobalAvg:
      return ag::global_avg_pool2d(x);
    case PoolOp::GlobalMax:
      return ag::global_max_pool2d(x);
    case PoolOp::Upsample:
      return ag::upsample2d(x, c.up);
  }
  return {};
}

// 1-D rows use the second entry of each pair; the first repeats it for readability.
inline std::vector<PoolCase> pool_cases() {
  using autograd::UpsampleMode;
  const auto nearest = UpsampleMode::Nearest;
  const auto bilinear = UpsampleMode::Bilinear;
  return {
      {"max2d_k2", PoolOp::MaxPool2d, {2, 3, 8, 8}, {.kernel = {2, 2}}},
      {"max2d_odd_k3s2", PoolOp::MaxPool2d, {2, 2, 7, 9}, {.kernel = {3, 3}, .stride = {2, 2}}},
      {"max2d_k2s3", PoolOp::MaxPool2d, {1, 2, 10, 11}, {.kernel = {2, 2}, .stride = {3, 3}}},
      {"max2d_k3s2p1",
       PoolOp::MaxPool2d,
       {2, 2, 6, 7},
       {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}},
      {"max2d_dil2",
       PoolOp::MaxPool2d,
       {1, 3, 9, 10},
       {.kernel = {3, 3}, .stride = {1, 1}, .padding = {1, 1}, .dilation = {2, 2}}},
      {"max2d_ceil",
       PoolOp::MaxPool2d,
       {2, 2, 7, 7},
       {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true}},
      {"max2d_ceil_k3s2p1",
       PoolOp::MaxPool2d,
       {1, 2, 8, 9},
       {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}},
      {"max2d_rect",
       PoolOp::MaxPool2d,
       {1, 2, 7, 10},
       {.kernel = {2, 3}, .stride = {1, 2}, .padding = {1, 0}}},
      {"avg2d_k2", PoolOp::AvgPool2d, {2, 3, 8, 8}, {.kernel = {2, 2}}},
      {"avg2d_k3s2p1_incl",
       PoolOp::AvgPool2d,
       {2, 2, 7, 9},
       {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}},
      {"avg2d_k3s2p1_excl",
       PoolOp::AvgPool2d,
       {2, 2, 7, 9},
       {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .count_include_pad = false}},
      {"avg2d_ceil_incl",
       PoolOp::AvgPool2d,
       {1, 2, 8, 7},
       {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}, .ceil_mode = true}},
      {"avg2d_ceil_excl",
       PoolOp::AvgPool2d,
       {1, 2, 8, 7},
       {.kernel = {3, 3},
        .stride = {2, 2},
        .padding = {1, 1},
        .ceil_mode = true,
        .count_include_pad = false}},
      {"avg2d_ceil_k2",
       PoolOp::AvgPool2d,
       {2, 2, 7, 7},
       {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true}},
      {"avg2d_rect", PoolOp::AvgPool2d, {1, 2, 6, 9}, {.kernel = {3, 2}, .stride = {2, 3}}},
      {"max1d_k3s2", PoolOp::MaxPool1d, {2, 3, 11}, {.kernel = {3, 3}, .stride = {2, 2}}},
      {"max1d_p1d2_ceil",
       PoolOp::MaxPool1d,
       {2, 2, 12},
       {.kernel = {3, 3},
        .stride = {2, 2},
        .padding = {1, 1},
        .dilation = {2, 2},
        .ceil_mode = true}},
      {"avg1d_k2", PoolOp::AvgPool1d, {2, 3, 9}, {.kernel = {2, 2}}},
      {"avg1d_k3s2p1_ceil_excl",
       PoolOp::AvgPool1d,
       {2, 3, 10},
       {.kernel = {3, 3},
        .stride = {2, 2},
        .padding = {1, 1},
        .ceil_mode = true,
        .count_include_pad = false}},
      {"global_avg", PoolOp::GlobalAvg, {2, 3, 5, 7}},
      {"global_max", PoolOp::GlobalMax, {2, 3, 5, 7}},
      {"nearest_s2", PoolOp::Upsample, {2, 2, 4, 5}, {}, {.scale = {2.0, 2.0}, .mode = nearest}},
      {"nearest_size_5to7", PoolOp::Upsample, {1, 2, 5, 5}, {}, {.size = {7, 7}, .mode = nearest}},
      {"nearest_s1_5", PoolOp::Upsample, {1, 2, 5, 6}, {}, {.scale = {1.5, 2.5}, .mode = nearest}},
      {"nearest_down", PoolOp::Upsample, {1, 2, 7, 8}, {}, {.size = {3, 5}, .mode = nearest}},
      {"nearest_s1_7", PoolOp::Upsample, {1, 2, 4, 5}, {}, {.scale = {1.7, 1.3}, .mode = nearest}},
      {"bilinear_s2", PoolOp::Upsample, {2, 2, 4, 5}, {}, {.scale = {2.0, 2.0}, .mode = bilinear}},
      {"bilinear_s2_ac",
       PoolOp::Upsample,
       {2, 2, 4, 5},
       {},
       {.scale = {2.0, 2.0}, .mode = bilinear, .align_corners = true}},
      {"bilinear_size", PoolOp::Upsample, {1, 2, 5, 6}, {}, {.size = {7, 11}, .mode = bilinear}},
      {"bilinear_size_ac",
       PoolOp::Upsample,
       {1, 2, 5, 6},
       {},
       {.size = {7, 11}, .mode = bilinear, .align_corners = true}},
      {"bilinear_s1_5",
       PoolOp::Upsample,
       {1, 2, 5, 6},
       {},
       {.scale = {1.5, 2.5}, .mode = bilinear}},
      {"bilinear_s1_5_ac",
       PoolOp::Upsample,
       {1, 2, 5, 6},
       {},
       {.scale = {1.5, 2.5}, .mode = bilinear, .align_corners = true}},
      {"bilinear_down", PoolOp::Upsample, {1, 2, 7, 8}, {}, {.size = {3, 5}, .mode = bilinear}},
      {"bilinear_s0_7",
       PoolOp::Upsample,
       {1, 2, 8, 9},
       {},
       {.scale = {0.7, 0.6}, .mode = bilinear}},
  };
}

}  // namespace physcnn::test

// HexPool2d: gather the hexagonal neighbourhood with one-hot kernels, mask cells outside the
// grid with -inf, and take the maximum over the taps.
#include "nn/hexpool.hpp"

#include <limits>

#include "nn/hex_grid.hpp"
#include "nn/hex_ops.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

HexPool2d::HexPool2d(const HexPool2dOptions& o) : o_(o) {
  PHYSCNN_CHECK_ARG(o.radius >= 0 && o.radius <= 16, "HexPool2d: radius must be in [0, 16], got ",
                    o.radius);
  PHYSCNN_CHECK_ARG(o.stride >= 1, "HexPool2d: stride must be >= 1, got ", o.stride);
}

Var HexPool2d::forward(const Var& x) {
  const int64_t k = o_.radius;
  const bool periodic = o_.boundary == HexBoundary::Periodic;
  check_hex_input("HexPool2d", x, k, o_.stride, periodic);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const auto taps = hex_taps(k);
  const int64_t T = int64_t(taps.size()), KK = (2 * k + 1) * (2 * k + 1);
  // One-hot kernels (C*T, 1, 2k+1, 2k+1): output channel c*T + t copies tap t of channel c.
  Var kernels[2];
  for (int parity = 0; parity < 2; ++parity) {
    const Tensor s = hex_scatter(k, parity);
    Tensor w = Tensor::zeros(Shape{C * T, 1, 2 * k + 1, 2 * k + 1}, DType::F64);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < KK; ++i)
          w.data<double>()[(c * T + t) * KK + i] = s.data<double>()[t * KK + i];
    kernels[parity] = Var(w.to(x.dtype()), false);
  }
  Var g = ag::reshape(hex_parity_conv(x, kernels[0], kernels[1], Var(), k, periodic, C),
                      Shape{N, C, T, H, W});
  if (!periodic && k > 0) {
    Tensor outside = Tensor::zeros(Shape{1, 1, T, H, W}, DType::F64);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < H; ++r)
        for (int64_t c = 0; c < W; ++c) {
          const HexAxial a = offset_to_axial({c, r});
          const HexOffset nb = axial_to_offset({a.q + taps[size_t(t)].q, a.r + taps[size_t(t)].r});
          if (nb.row < 0 || nb.row >= H || nb.col < 0 || nb.col >= W)
            outside.data<double>()[(t * H + r) * W + c] = -std::numeric_limits<double>::infinity();
        }
    g = ag::add(g, Var(outside.to(x.dtype()), false));
  }
  g = ag::reshape(ag::permute(g, {0, 1, 3, 4, 2}), Shape{N * C, H * W, T});
  const Var pooled = ag::max_pool1d(g, ag::Pool2dArgs{.kernel = {1, T}, .stride = {1, T}});
  return hex_stride_sample(ag::reshape(pooled, Shape{N, C, H, W}), o_.stride);
}

LayerSpec HexPool2d::spec() {
  return {
      .type = "hexpool2d",
      .module_type = "HexPool2d",
      .help = "max over hexagonal neighbourhoods of radius k on a hexagdly (odd-q) grid (N,C,H,W)",
      .keys = {{.name = "radius",
                .kind = KeyKind::Int,
                .help = "rings around the centre (1 + 3k(k+1) cells)"},
               {.name = "stride",
                .kind = KeyKind::Int,
                .help = "centres s cells apart along the grid axes (hexagdly's stride)"},
               {.name = "boundary",
                .kind = KeyKind::Choice,
                .help = "ignore cells outside the grid (zeros), or periodic (even column count)",
                .choices = choice_names(hex_boundary_names())}},
      .build = [](const LayerArgs& args, Rng) -> ModulePtr {
        const ArgReader a(args, "hexpool2d");
        const HexPool2dOptions d;
        return std::make_shared<HexPool2d>(
            HexPool2dOptions{.radius = a.get_int("radius", d.radius),
                             .stride = a.get_int("stride", d.stride),
                             .boundary = a.choice("boundary", d.boundary, hex_boundary_names())});
      },
      .example = {{"radius", int64_t{1}}, {"stride", int64_t{2}}},
      .example_input = {2, 5, 6},
  };
}

LayerArgs HexPool2d::layer_args() const {
  return {{"radius", o_.radius},
          {"stride", o_.stride},
          {"boundary", choice_name(o_.boundary, hex_boundary_names())}};
}

}  // namespace physcnn::nn

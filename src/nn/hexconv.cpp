// HexConv2d: the hexagonal neighbourhood as two parity-dependent masked conv2d kernels.
#include "nn/hexconv.hpp"

#include <array>

#include "nn/conv.hpp"
#include "nn/hex_grid.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

const std::vector<std::pair<std::string, HexBoundary>>& hex_boundary_names() {
  static const std::vector<std::pair<std::string, HexBoundary>> names{
      {"zeros", HexBoundary::Zeros}, {"periodic", HexBoundary::Periodic}};
  return names;
}

HexConv2d::HexConv2d(const HexConv2dOptions& o, Rng rng) : o_(o), rng_(rng) {
  PHYSCNN_CHECK_ARG(o.out > 0, "HexConv2d: out channels must be > 0, got ", o.out);
  PHYSCNN_CHECK_ARG(o.in >= 0, "HexConv2d: in channels must be >= 0 (0 = infer), got ", o.in);
  PHYSCNN_CHECK_ARG(o.radius >= 0 && o.radius <= 16, "HexConv2d: radius must be in [0, 16], got ",
                    o.radius);
  PHYSCNN_CHECK_ARG(o.stride >= 1, "HexConv2d: stride must be >= 1, got ", o.stride);
  const int64_t k = o.radius, K = 2 * k + 1;
  const auto taps = hex_taps(k);
  for (int parity = 0; parity < 2; ++parity) {
    Tensor s = Tensor::zeros(Shape{int64_t(taps.size()), K * K}, DType::F64);
    double* p = s.data<double>();
    const HexAxial centre = offset_to_axial({parity, 0});
    for (size_t t = 0; t < taps.size(); ++t) {
      const HexOffset nb = axial_to_offset({centre.q + taps[t].q, centre.r + taps[t].r});
      const int64_t kr = nb.row + k, kc = nb.col - parity + k;
      PHYSCNN_CHECK_ARG(kr >= 0 && kr < K && kc >= 0 && kc < K,
                        "HexConv2d: tap outside the kernel");
      p[int64_t(t) * K * K + kr * K + kc] = 1.0;
    }
    scatter_[size_t(parity)] = s;
  }
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);
  if (o.in > 0) materialise(o.in, DType::F32);
}

void HexConv2d::materialise(int64_t in_channels, DType dtype) {
  const int64_t taps = hex_tap_count(o_.radius), fan_in = in_channels * taps;
  weight_ = make_parameter(uniform_init(Shape{o_.out, in_channels, taps}, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, fan_in, rng_, dtype));
}

Var HexConv2d::dense_kernel(int parity) const {
  PHYSCNN_CHECK_ARG(weight_.defined(), "HexConv2d: weight not materialised yet");
  const int64_t O = weight_.size(0), I = weight_.size(1), T = weight_.size(2);
  const int64_t K = 2 * o_.radius + 1;
  const Var s(scatter_[size_t(parity)].to(weight_.dtype()), false);
  return ag::reshape(ag::matmul(ag::reshape(weight_, Shape{O * I, T}), s), Shape{O, I, K, K});
}

Var HexConv2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight_.size(1), "input has ", x.size(1),
                      " channels, weight expects ", weight_.size(1), " (input ", x.shape().str(),
                      ", weight ", weight_.shape().str(), ")");
  const int64_t k = o_.radius, H = x.size(2), W = x.size(3);
  const bool periodic = o_.boundary == HexBoundary::Periodic;
  PHYSCNN_CHECK_SHAPE(!periodic || W % 2 == 0,
                      "periodic boundaries need an even number of columns (the odd-column shift "
                      "must alternate across the seam), got input ",
                      x.shape().str());
  const int64_t st = o_.stride;
  PHYSCNN_CHECK_SHAPE(!periodic || (H % st == 0 && W % (2 * st) == 0),
                      "periodic boundaries with stride ", st, " need rows divisible by ", st,
                      " and columns by ", 2 * st, " (so the strided grid is periodic), got input ",
                      x.shape().str());
  PHYSCNN_CHECK_SHAPE(W <= st || H - 1 >= st / 2, "stride ", st, " needs at least ", st / 2 + 1,
                      " rows (odd output columns start ", st / 2, " rows down), got input ",
                      x.shape().str());
  PHYSCNN_CHECK_SHAPE(!periodic || (H >= k && W >= k), "periodic boundaries with radius ", k,
                      " need at least ", k, " rows and columns, got input ", x.shape().str());
  const ag::Conv2dArgs args{.stride = {1, 1},
                            .padding = {k, k, k, k},
                            .padding_mode = periodic ? PadMode::Circular : PadMode::Zeros};
  Tensor even = Tensor::zeros(Shape{1, 1, 1, W}, x.dtype());
  Tensor odd = Tensor::zeros(Shape{1, 1, 1, W}, x.dtype());
  for (int64_t c = 0; c < W; ++c) {
    Tensor& m = (c % 2 == 0) ? even : odd;
    if (x.dtype() == DType::F64)
      m.data<double>()[c] = 1.0;
    else
      m.data<float>()[c] = 1.0F;
  }
  const Var on_even = ag::mul(ag::conv2d(x, dense_kernel(0), bias_, args), Var(even, false));
  const Var full =
      W == 1
          ? on_even
          : ag::add(on_even, ag::mul(ag::conv2d(x, dense_kernel(1), bias_, args), Var(odd, false)));
  return st == 1 ? full : sample(full);
}

namespace {
// A (rows, cols) 0/1 matrix with ones at the given (row, col) places, in dtype.
Var selection(int64_t rows, int64_t cols, const std::vector<std::array<int64_t, 2>>& ones,
              DType dtype) {
  Tensor t = Tensor::zeros(Shape{rows, cols}, DType::F64);
  for (const auto& [r, c] : ones) t.data<double>()[r * cols + c] = 1.0;
  return Var(t.to(dtype), false);
}
}  // namespace

Var HexConv2d::sample(const Var& y) const {
  const int64_t N = y.size(0), C = y.size(1), H = y.size(2), W = y.size(3), s = o_.stride;
  const int64_t WO = (W - 1) / s + 1, shift = s / 2;
  const int64_t HO = WO == 1 ? (H - 1) / s + 1 : (H - 1 - shift) / s + 1;
  const DType dt = y.dtype();
  std::vector<std::array<int64_t, 2>> cols, even_rows, odd_rows;
  for (int64_t j = 0; j < WO; ++j) cols.push_back({s * j, j});
  for (int64_t m = 0; m < HO; ++m) {
    even_rows.push_back({s * m, m});
    if (WO > 1) odd_rows.push_back({s * m + shift, m});
  }
  // Columns first: (N*C*H, W) x (W, WO); then rows, by the output column's parity.
  Var z = ag::matmul(ag::reshape(y, Shape{N * C * H, W}), selection(W, WO, cols, dt));
  z = ag::reshape(ag::permute(ag::reshape(z, Shape{N * C, H, WO}), {0, 2, 1}),
                  Shape{N * C * WO, H});
  Tensor even = Tensor::zeros(Shape{1, WO, 1}, DType::F64), odd = even.clone();
  for (int64_t j = 0; j < WO; ++j) (j % 2 ? odd : even).data<double>()[j] = 1.0;
  auto rows = [&](const std::vector<std::array<int64_t, 2>>& ones, const Tensor& mask) {
    return ag::mul(ag::reshape(ag::matmul(z, selection(H, HO, ones, dt)), Shape{N * C, WO, HO}),
                   Var(mask.to(dt), false));
  };
  Var out = rows(even_rows, even);
  if (WO > 1) out = ag::add(out, rows(odd_rows, odd));
  return ag::reshape(ag::permute(out, {0, 2, 1}), Shape{N, C, HO, WO});
}

int64_t HexConv2d::macs(const Shape& in, const Shape& out) const {
  (void)in;
  if (!weight_.defined() || out.rank() != 4) return 0;
  return out[1] * out[2] * out[3] * weight_.size(1) * weight_.size(2);
}

LayerSpec HexConv2d::spec() {
  return {
      .type = "hexconv2d",
      .module_type = "HexConv2d",
      .help =
          "convolution over hexagonal neighbourhoods of radius k on a hexagdly (odd-q) grid "
          "(N,C,H,W)",
      .keys = {{.name = "in",
                .kind = KeyKind::Int,
                .help = "input channels; 0 = inferred from the input"},
               {.name = "out", .kind = KeyKind::Int, .help = "output channels", .required = true},
               {.name = "radius",
                .kind = KeyKind::Int,
                .help = "rings around the centre (1 + 3k(k+1) taps)"},
               {.name = "stride",
                .kind = KeyKind::Int,
                .help = "centres s cells apart along the grid axes (hexagdly's stride)"},
               {.name = "boundary",
                .kind = KeyKind::Choice,
                .help = "zeros outside the grid, or periodic (even column count)",
                .choices = choice_names(hex_boundary_names())},
               bool_key("bias", "add a learnt bias")},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "hexconv2d");
        const HexConv2dOptions d;
        return std::make_shared<HexConv2d>(
            HexConv2dOptions{.in = a.get_int("in", d.in),
                             .out = a.get_int("out", d.out),
                             .radius = a.get_int("radius", d.radius),
                             .stride = a.get_int("stride", d.stride),
                             .boundary = a.choice("boundary", d.boundary, hex_boundary_names()),
                             .bias = a.get_bool("bias", d.bias)},
            rng);
      },
      .example = {{"out", int64_t{3}},
                  {"radius", int64_t{1}},
                  {"boundary", std::string("periodic")}},
      .example_input = {2, 5, 6},
  };
}

LayerArgs HexConv2d::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"radius", o_.radius},
          {"stride", o_.stride},
          {"boundary", choice_name(o_.boundary, hex_boundary_names())},
          {"bias", o_.bias}};
}

}  // namespace physcnn::nn

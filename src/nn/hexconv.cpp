// HexConv2d: the hexagonal neighbourhood as two parity-dependent masked conv2d kernels.
#include "nn/hexconv.hpp"

#include "nn/conv.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hex_ops.hpp"

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
  for (int parity = 0; parity < 2; ++parity)
    scatter_[size_t(parity)] = hex_scatter(o.radius, parity);
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
  check_hex_input("HexConv2d", x, o_.radius, o_.stride, o_.boundary == HexBoundary::Periodic);
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight_.size(1), "input has ", x.size(1),
                      " channels, weight expects ", weight_.size(1), " (input ", x.shape().str(),
                      ", weight ", weight_.shape().str(), ")");
  const Var full = hex_parity_conv(x, dense_kernel(0), dense_kernel(1), bias_, o_.radius,
                                   o_.boundary == HexBoundary::Periodic);
  return hex_stride_sample(full, o_.stride);
}

int64_t HexConv2d::macs(const Shape& in, const Shape& out) const {
  (void)in;
  if (!weight_.defined() || out.rank() != 4) return 0;
  return out[1] * out[2] * out[3] * weight_.size(1) * weight_.size(2);
}

HexConv2dOptions hex_conv_options(const LayerArgs& args, const char* type) {
  const ArgReader a(args, type);
  const HexConv2dOptions d;
  return HexConv2dOptions{.in = a.get_int("in", d.in),
                          .out = a.get_int("out", d.out),
                          .radius = a.get_int("radius", d.radius),
                          .stride = a.get_int("stride", d.stride),
                          .boundary = a.choice("boundary", d.boundary, hex_boundary_names()),
                          .bias = a.get_bool("bias", d.bias)};
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
        return std::make_shared<HexConv2d>(hex_conv_options(args, "hexconv2d"), rng);
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

// HexConv2dP6: the six rotated copies of the taps, scattered into conv2d kernels in one matmul.
#include "nn/hexconv_p6.hpp"

#include "nn/conv.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hex_ops.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

HexConv2dP6::HexConv2dP6(const HexConv2dOptions& o, Rng rng) : o_(o), rng_(rng) {
  PHYSCNN_CHECK_ARG(o.out > 0, "HexConv2dP6: out channels must be > 0, got ", o.out);
  PHYSCNN_CHECK_ARG(o.in >= 0, "HexConv2dP6: in channels must be >= 0 (0 = infer), got ", o.in);
  PHYSCNN_CHECK_ARG(o.radius >= 0 && o.radius <= 16, "HexConv2dP6: radius must be in [0, 16], got ",
                    o.radius);
  PHYSCNN_CHECK_ARG(o.stride >= 1, "HexConv2dP6: stride must be >= 1, got ", o.stride);
  const auto taps = hex_taps(o.radius);
  const int64_t T = int64_t(taps.size()), KK = (2 * o.radius + 1) * (2 * o.radius + 1);
  auto index_of = [&](HexAxial a) {
    for (int64_t t = 0; t < T; ++t)
      if (taps[size_t(t)] == a) return t;
    throw UsageError("HexConv2dP6: a rotated tap left the neighbourhood");
  };
  for (int parity = 0; parity < 2; ++parity) {
    const Tensor s = hex_scatter(o.radius, parity);
    Tensor m = Tensor::zeros(Shape{T, 6 * KK}, DType::F64);
    for (int64_t t = 0; t < T; ++t) {
      HexAxial d = taps[size_t(t)];
      for (int64_t n = 0; n < 6; ++n, d = hex_rotate60(d)) {
        const int64_t from = index_of(d);
        for (int64_t j = 0; j < KK; ++j)
          m.data<double>()[t * 6 * KK + n * KK + j] = s.data<double>()[from * KK + j];
      }
    }
    rotated_scatter_[size_t(parity)] = m;
  }
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);
  if (o.in > 0) materialise(o.in, DType::F32);
}

void HexConv2dP6::materialise(int64_t in_channels, DType dtype) {
  const int64_t taps = hex_tap_count(o_.radius), fan_in = in_channels * taps;
  weight_ = make_parameter(uniform_init(Shape{o_.out, in_channels, taps}, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, fan_in, rng_, dtype));
}

HexConv2dP6::DenseBank HexConv2dP6::dense_bank() const {
  PHYSCNN_CHECK_ARG(weight_.defined(), "HexConv2dP6: weight not materialised yet");
  const int64_t O = weight_.size(0), I = weight_.size(1), T = weight_.size(2);
  const int64_t K = 2 * o_.radius + 1;
  const Var flat = ag::reshape(weight_, Shape{O * I, T});
  Var kernels[2];
  for (int parity = 0; parity < 2; ++parity) {
    const Var m(rotated_scatter_[size_t(parity)].to(weight_.dtype()), false);
    kernels[parity] = ag::reshape(
        ag::permute(ag::reshape(ag::matmul(flat, m), Shape{O, I, 6, K, K}), {0, 2, 1, 3, 4}),
        Shape{O * 6, I, K, K});
  }
  Var bias;
  if (bias_.defined())
    bias = ag::reshape(ag::matmul(ag::reshape(bias_, Shape{O, 1}),
                                  Var(Tensor::ones(Shape{1, 6}, bias_.dtype()), false)),
                       Shape{O * 6});
  return {kernels[0], kernels[1], bias};
}

Var HexConv2dP6::forward(const Var& x) {
  const bool periodic = o_.boundary == HexBoundary::Periodic;
  check_hex_input("HexConv2dP6", x, o_.radius, o_.stride, periodic);
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight_.size(1), "input has ", x.size(1),
                      " channels, weight expects ", weight_.size(1), " (input ", x.shape().str(),
                      ", weight ", weight_.shape().str(), ")");
  const auto [even, odd, bias] = dense_bank();
  return hex_stride_sample(hex_parity_conv(x, even, odd, bias, o_.radius, periodic), o_.stride);
}

int64_t HexConv2dP6::macs(const Shape& in, const Shape& out) const {
  (void)in;
  if (!weight_.defined() || out.rank() != 4) return 0;
  return out[1] * out[2] * out[3] * weight_.size(1) * weight_.size(2);
}

LayerSpec HexConv2dP6::spec() {
  LayerSpec s = HexConv2d::spec();
  s.type = "hexconv2d_p6";
  s.module_type = "HexConv2dP6";
  s.help =
      "p6 lifting convolution: hexconv2d's filters in all six 60-degree orientations, "
      "6*out channels (channel 6*o + n: filter o turned by n*60 degrees)";
  s.build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
    return std::make_shared<HexConv2dP6>(hex_conv_options(args, "hexconv2d_p6"), rng);
  };
  s.example = {{"out", int64_t{2}}, {"radius", int64_t{1}}};
  return s;
}

LayerArgs HexConv2dP6::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"radius", o_.radius},
          {"stride", o_.stride},
          {"boundary", choice_name(o_.boundary, hex_boundary_names())},
          {"bias", o_.bias}};
}

}  // namespace physcnn::nn

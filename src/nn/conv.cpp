// Convolution layers: option validation, PyTorch initialisation, lazy in-channels, and the
// geometry checks that give a layer's errors the numbers of the output-size formula.
#include "nn/conv.hpp"

#include <cmath>

#include "nn/activation.hpp"
#include "nn/layers.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

Tensor uniform_init(const Shape& shape, int64_t fan_in, Rng& rng, DType dtype) {
  // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in).
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
  return Tensor::uniform(shape, -bound, bound, rng, dtype);
}

PadSpec PadSpec::parse(const std::string& name) {
  if (name == "same") return PadSpec(Kind::Same);
  if (name == "valid") return PadSpec(Kind::Valid);
  throw UsageError("padding: expected an integer, \"same\" or \"valid\", got \"" + name + "\"");
}

namespace {

// The padding of one spatial dimension: {before, after}. "same" puts the odd pixel at the end,
// as PyTorch (total = D*(K-1)).
std::array<int64_t, 2> same_padding(int64_t k, int64_t d) {
  const int64_t total = d * (k - 1);
  return {total / 2, total - total / 2};
}

// Output extent of a convolution along one dimension, with a ShapeError that shows the formula.
int64_t conv_out(const char* dim, int64_t in, int64_t before, int64_t after, int64_t k, int64_t s,
                 int64_t d, const Shape& xs, const Shape& ws) {
  const int64_t padded = in + before + after, span = d * (k - 1) + 1;
  PHYSCNN_CHECK_SHAPE(padded >= span, "kernel ", k, " (dilation ", d, ") spans ", span, " ", dim,
                      " but the padded input has ", in, " + ", before, " + ", after, " = ", padded,
                      ", so the output ", dim, " (", padded, " - ", span, ")/", s,
                      " + 1 would be < 1 (input ", xs.str(), ", weight ", ws.str(), ")");
  return (padded - span) / s + 1;
}

void check_common(const std::string& op, int64_t in, int64_t out, int64_t groups) {
  PHYSCNN_CHECK_ARG(out > 0, op, ": out channels must be > 0, got ", out);
  PHYSCNN_CHECK_ARG(in >= 0, op, ": in channels must be >= 0 (0 = infer), got ", in);
  PHYSCNN_CHECK_ARG(groups >= 1, op, ": groups must be >= 1, got ", groups);
  PHYSCNN_CHECK_ARG(out % groups == 0, op, ": out channels ", out, " not divisible by groups ",
                    groups);
  PHYSCNN_CHECK_ARG(in == 0 || in % groups == 0, op, ": in channels ", in,
                    " not divisible by groups ", groups);
}

void check_channels(const char* op, const Var& x, int64_t expected, const Var& w, int64_t rank) {
  PHYSCNN_CHECK_SHAPE(x.dim() == rank, op, " expects a rank-", rank, " input, got ",
                      x.shape().str());
  PHYSCNN_CHECK_SHAPE(x.size(1) == expected, "input has ", x.size(1), " channels, weight expects ",
                      expected, " (input ", x.shape().str(), ", weight ", w.shape().str(), ")");
}

}  // namespace

// --- Conv2d -----------------------------------------------------------------------------------

Conv2d::Conv2d(const Conv2dOptions& o, Rng rng) : o_(o), rng_(rng) {
  check_common("Conv2d", o.in, o.out, o.groups);
  PHYSCNN_CHECK_ARG(o.kernel.h > 0 && o.kernel.w > 0, "Conv2d: kernel must be > 0, got ",
                    o.kernel.h, "x", o.kernel.w);
  PHYSCNN_CHECK_ARG(o.stride.h > 0 && o.stride.w > 0 && o.dilation.h > 0 && o.dilation.w > 0,
                    "Conv2d: stride and dilation must be > 0");
  const size_t n = o.padding.values.size();
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Explicit || n == 1 || n == 2 || n == 4,
                    "Conv2d: padding takes 1, 2 ({ph, pw}) or 4 ({top, bottom, left, right}) "
                    "values, got ",
                    n);
  for (int64_t p : o.padding.values) PHYSCNN_CHECK_ARG(p >= 0, "Conv2d: padding ", p, " < 0");
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Same || (o.stride.h == 1 && o.stride.w == 1),
                    "Conv2d: padding \"same\" needs stride 1 (as PyTorch), got stride ", o.stride.h,
                    "x", o.stride.w);
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);  // absent, not missing, when disabled
  if (o.in > 0) materialise(o.in, DType::F32);
}

void Conv2d::materialise(int64_t in_channels, DType dtype) {
  PHYSCNN_CHECK_SHAPE(in_channels % o_.groups == 0, "input has ", in_channels,
                      " channels, not divisible by groups ", o_.groups);
  const int64_t fan_in = in_channels / o_.groups * o_.kernel.h * o_.kernel.w;
  weight_ = make_parameter(uniform_init(
      Shape{o_.out, in_channels / o_.groups, o_.kernel.h, o_.kernel.w}, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, fan_in, rng_, dtype));
}

std::array<int64_t, 4> Conv2d::resolved_padding() const {
  const auto& v = o_.padding.values;
  switch (o_.padding.kind) {
    case PadSpec::Kind::Valid:
      return {0, 0, 0, 0};
    case PadSpec::Kind::Same: {
      auto ph = same_padding(o_.kernel.h, o_.dilation.h);
      auto pw = same_padding(o_.kernel.w, o_.dilation.w);
      return {ph[0], ph[1], pw[0], pw[1]};
    }
    case PadSpec::Kind::Explicit:
      break;
  }
  if (v.size() == 1) return {v[0], v[0], v[0], v[0]};
  if (v.size() == 2) return {v[0], v[0], v[1], v[1]};
  return {v[0], v[1], v[2], v[3]};
}

Var Conv2d::forward(const Var& x) {
  const bool fuse_relu = in_fused_call();
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  check_channels("Conv2d", x, weight_.size(1) * o_.groups, weight_, 4);
  const auto p = resolved_padding();
  conv_out("rows", x.size(2), p[0], p[1], weight_.size(2), o_.stride.h, o_.dilation.h, x.shape(),
           weight_.shape());
  conv_out("columns", x.size(3), p[2], p[3], weight_.size(3), o_.stride.w, o_.dilation.w, x.shape(),
           weight_.shape());
  ag::Conv2dArgs args{.stride = {o_.stride.h, o_.stride.w},
                      .padding = p,
                      .padding_mode = o_.padding_mode,
                      .dilation = {o_.dilation.h, o_.dilation.w},
                      .groups = o_.groups};
  return fuse_relu ? ag::conv2d_relu(x, weight_, bias_, args) : ag::conv2d(x, weight_, bias_, args);
}

int64_t Conv2d::macs(const Shape& in, const Shape& out) const {
  (void)in;
  if (!weight_.defined() || out.rank() != 4) return 0;
  return out[1] * out[2] * out[3] * weight_.size(1) * weight_.size(2) * weight_.size(3);
}

// --- Conv1d -----------------------------------------------------------------------------------

Conv1d::Conv1d(const Conv1dOptions& o, Rng rng) : o_(o), rng_(rng) {
  check_common("Conv1d", o.in, o.out, o.groups);
  PHYSCNN_CHECK_ARG(o.kernel > 0, "Conv1d: kernel must be > 0, got ", o.kernel);
  PHYSCNN_CHECK_ARG(o.stride > 0 && o.dilation > 0, "Conv1d: stride and dilation must be > 0");
  const size_t n = o.padding.values.size();
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Explicit || n == 1 || n == 2,
                    "Conv1d: padding takes 1 or 2 ({left, right}) values, got ", n);
  for (int64_t p : o.padding.values) PHYSCNN_CHECK_ARG(p >= 0, "Conv1d: padding ", p, " < 0");
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Same || o.stride == 1,
                    "Conv1d: padding \"same\" needs stride 1, got ", o.stride);
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);  // absent, not missing, when disabled
  if (o.in > 0) materialise(o.in, DType::F32);
}

void Conv1d::materialise(int64_t in_channels, DType dtype) {
  PHYSCNN_CHECK_SHAPE(in_channels % o_.groups == 0, "input has ", in_channels,
                      " channels, not divisible by groups ", o_.groups);
  const int64_t fan_in = in_channels / o_.groups * o_.kernel;
  weight_ = make_parameter(
      uniform_init(Shape{o_.out, in_channels / o_.groups, o_.kernel}, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, fan_in, rng_, dtype));
}

Var Conv1d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 3, "expects a (N,C,L) input, got ", x.shape().str());
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  check_channels("Conv1d", x, weight_.size(1) * o_.groups, weight_, 3);
  std::array<int64_t, 2> p{0, 0};
  const auto& v = o_.padding.values;
  if (o_.padding.kind == PadSpec::Kind::Same)
    p = same_padding(o_.kernel, o_.dilation);
  else if (o_.padding.kind == PadSpec::Kind::Explicit)
    p = v.size() == 1 ? std::array<int64_t, 2>{v[0], v[0]} : std::array<int64_t, 2>{v[0], v[1]};
  conv_out("positions", x.size(2), p[0], p[1], o_.kernel, o_.stride, o_.dilation, x.shape(),
           weight_.shape());
  ag::Conv1dArgs args{.stride = o_.stride,
                      .padding = p,
                      .padding_mode = o_.padding_mode,
                      .dilation = o_.dilation,
                      .groups = o_.groups};
  return ag::conv1d(x, weight_, bias_, args);
}

int64_t Conv1d::macs(const Shape&, const Shape& out) const {
  if (!weight_.defined() || out.rank() != 3) return 0;
  return out[1] * out[2] * weight_.size(1) * weight_.size(2);
}

// --- ConvTranspose2d --------------------------------------------------------------------------

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& o, Rng rng) : o_(o), rng_(rng) {
  check_common("ConvTranspose2d", o.in, o.out, o.groups);
  PHYSCNN_CHECK_ARG(o.kernel.h > 0 && o.kernel.w > 0, "ConvTranspose2d: kernel must be > 0");
  PHYSCNN_CHECK_ARG(o.stride.h > 0 && o.stride.w > 0 && o.dilation.h > 0 && o.dilation.w > 0,
                    "ConvTranspose2d: stride and dilation must be > 0");
  PHYSCNN_CHECK_ARG(o.padding.h >= 0 && o.padding.w >= 0, "ConvTranspose2d: padding < 0");
  PHYSCNN_CHECK_ARG(o.output_padding.h >= 0 && o.output_padding.w >= 0 &&
                        (o.output_padding.h < o.stride.h || o.output_padding.h < o.dilation.h) &&
                        (o.output_padding.w < o.stride.w || o.output_padding.w < o.dilation.w),
                    "ConvTranspose2d: output_padding ", o.output_padding.h, "x", o.output_padding.w,
                    " must be smaller than stride or dilation (as PyTorch)");
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);  // absent, not missing, when disabled
  if (o.in > 0) materialise(o.in, DType::F32);
}

void ConvTranspose2d::materialise(int64_t in_channels, DType dtype) {
  PHYSCNN_CHECK_SHAPE(in_channels % o_.groups == 0, "input has ", in_channels,
                      " channels, not divisible by groups ", o_.groups);
  // PyTorch computes fan_in from weight.size(1) = OC/G, not from the input channels.
  const int64_t fan_in = o_.out / o_.groups * o_.kernel.h * o_.kernel.w;
  weight_ = make_parameter(uniform_init(
      Shape{in_channels, o_.out / o_.groups, o_.kernel.h, o_.kernel.w}, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, fan_in, rng_, dtype));
}

Var ConvTranspose2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  check_channels("ConvTranspose2d", x, weight_.size(0), weight_, 4);
  const int64_t OH = (x.size(2) - 1) * o_.stride.h - 2 * o_.padding.h +
                     o_.dilation.h * (o_.kernel.h - 1) + o_.output_padding.h + 1;
  const int64_t OW = (x.size(3) - 1) * o_.stride.w - 2 * o_.padding.w +
                     o_.dilation.w * (o_.kernel.w - 1) + o_.output_padding.w + 1;
  PHYSCNN_CHECK_SHAPE(OH > 0 && OW > 0, "output ", OH, "x", OW, " = (I-1)*", o_.stride.h, " - 2*",
                      o_.padding.h, " + ", o_.dilation.h, "*(", o_.kernel.h,
                      "-1) + output_padding + 1 is empty (input ", x.shape().str(), ", weight ",
                      weight_.shape().str(), ")");
  ag::ConvTranspose2dArgs args{.stride = {o_.stride.h, o_.stride.w},
                               .padding = {o_.padding.h, o_.padding.w},
                               .output_padding = {o_.output_padding.h, o_.output_padding.w},
                               .dilation = {o_.dilation.h, o_.dilation.w},
                               .groups = o_.groups};
  return ag::conv_transpose2d(x, weight_, bias_, args);
}

int64_t ConvTranspose2d::macs(const Shape& in, const Shape&) const {
  if (!weight_.defined() || in.rank() != 4) return 0;
  return in[1] * in[2] * in[3] * weight_.size(1) * weight_.size(2) * weight_.size(3);
}

// --- DepthwiseSeparableConv2d -----------------------------------------------------------------

DepthwiseSeparableConv2d::DepthwiseSeparableConv2d(const DepthwiseSeparableConv2dOptions& o,
                                                   Rng rng)
    : o_(o), rng_(rng) {
  PHYSCNN_CHECK_ARG(o.out > 0, "DepthwiseSeparableConv2d: out channels must be > 0, got ", o.out);
  if (o.in > 0) materialise(o.in, DType::F32);
}

void DepthwiseSeparableConv2d::materialise(int64_t in_channels, DType dtype) {
  depthwise_ = register_module(
      "depthwise", std::make_shared<Conv2d>(Conv2dOptions{.in = in_channels,
                                                          .out = in_channels,
                                                          .kernel = o_.kernel,
                                                          .stride = o_.stride,
                                                          .padding = o_.padding,
                                                          .padding_mode = o_.padding_mode,
                                                          .dilation = o_.dilation,
                                                          .groups = in_channels,
                                                          .bias = o_.bias},
                                            rng_.fork(0)));
  if (o_.norm)
    norm_ = register_module(
        "norm", std::make_shared<BatchNorm2d>(BatchNormOptions{.features = in_channels}));
  if (o_.activation == BetweenActivation::ReLU)
    act_ = register_module("act", std::make_shared<ReLU>());
  pointwise_ = register_module(
      "pointwise",
      std::make_shared<Conv2d>(
          Conv2dOptions{.in = in_channels, .out = o_.out, .kernel = 1, .bias = o_.bias},
          rng_.fork(1)));
  if (dtype != DType::F32) to(dtype);
}

Var DepthwiseSeparableConv2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  if (!depthwise_) materialise(x.size(1), x.dtype());
  Var h = (*depthwise_)(x);
  if (norm_) h = (*norm_)(h);
  if (act_) h = (*act_)(h);
  return (*pointwise_)(h);
}

}  // namespace physcnn::nn

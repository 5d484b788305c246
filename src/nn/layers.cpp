// Linear, batch norm, dropout, pooling and upsampling layers: option checks, lazy creation and
// the calls into autograd ops.
#include "nn/layers.hpp"

#include "kernels/pool.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

// --- Linear -----------------------------------------------------------------------------------

Linear::Linear(const LinearOptions& o, Rng rng) : o_(o), rng_(rng) {
  PHYSCNN_CHECK_ARG(o.out > 0, "Linear: out features must be > 0, got ", o.out);
  PHYSCNN_CHECK_ARG(o.in >= 0, "Linear: in features must be >= 0 (0 = infer), got ", o.in);
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);  // absent, not missing, when disabled
  if (o.in > 0) materialise(o.in, DType::F32);
}

void Linear::materialise(int64_t in_features, DType dtype) {
  weight_ = make_parameter(uniform_init(Shape{o_.out, in_features}, in_features, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{o_.out}, in_features, rng_, dtype));
}

Var Linear::forward(const Var& x) {
  // PyTorch applies nn.Linear to the last dimension: (N, *, in) -> (N, *, out).
  PHYSCNN_CHECK_SHAPE(x.dim() >= 2, "expects a (N, ..., features) input, got ", x.shape().str());
  const int64_t in = x.size(x.dim() - 1);
  if (!weight_.defined()) materialise(in, x.dtype());
  PHYSCNN_CHECK_SHAPE(in == weight_.size(1), "input has ", in, " features, weight expects ",
                      weight_.size(1), " (in the last dimension of input ", x.shape().str(),
                      ", weight ", weight_.shape().str(), ")");
  if (x.dim() == 2) return ag::linear(x, weight_, bias_);
  std::vector<int64_t> out = x.shape().dims();
  out.back() = weight_.size(0);
  const Var y = ag::linear(ag::reshape(x, Shape{x.numel() / in, in}), weight_, bias_);
  return ag::reshape(y, Shape(std::move(out)));
}

int64_t Linear::macs(const Shape& in, const Shape&) const {
  // Per sample: one matrix-vector product per position of the dimensions between N and the last.
  int64_t positions = 1;
  for (int64_t d = 1; d + 1 < in.rank(); ++d) positions *= in[d];
  return weight_.defined() ? weight_.numel() * positions : 0;
}

// --- BatchNorm --------------------------------------------------------------------------------

BatchNorm::BatchNorm(const BatchNormOptions& o, std::vector<int64_t> ranks)
    : o_(o), ranks_(std::move(ranks)) {
  PHYSCNN_CHECK_ARG(o.features >= 0, "BatchNorm: features must be >= 0 (0 = infer), got ",
                    o.features);
  PHYSCNN_CHECK_ARG(o.eps > 0, "BatchNorm: eps must be > 0, got ", o.eps);
  PHYSCNN_CHECK_ARG(!o.momentum || (*o.momentum >= 0 && *o.momentum <= 1),
                    "BatchNorm: momentum must be in [0, 1], got ", o.momentum.value_or(0));
  if (o.affine) {
    register_parameter("weight", &weight_);
    register_parameter("bias", &bias_);
  }
  if (o.track_running_stats) {
    register_buffer("running_mean", &running_mean_);
    register_buffer("running_var", &running_var_);
    register_buffer("num_batches_tracked", &num_batches_tracked_);
  }
  if (o.features > 0) materialise(o.features, DType::F32);
}

void BatchNorm::materialise(int64_t features, DType dtype) {
  if (o_.affine) {
    weight_ = make_parameter(Tensor::ones(Shape{features}, dtype));
    bias_ = make_parameter(Tensor::zeros(Shape{features}, dtype));
  }
  if (o_.track_running_stats) {
    running_mean_ = Tensor::zeros(Shape{features}, dtype);
    running_var_ = Tensor::ones(Shape{features}, dtype);
    num_batches_tracked_ = Tensor::scalar(0.0, dtype);  // int64 in PyTorch; loads convert
  }
}

Var BatchNorm::forward(const Var& x) {
  const bool fuse_relu = in_fused_call();
  bool rank_ok = false;
  for (int64_t r : ranks_) rank_ok = rank_ok || x.dim() == r;
  PHYSCNN_CHECK_SHAPE(rank_ok, "expects a ", ranks_.size() == 1 ? "(N,C,H,W)" : "(N,C) or (N,C,L)",
                      " input, got ", x.shape().str());
  const bool lazy = o_.affine ? !weight_.defined() : !running_mean_.defined();
  if (lazy && (o_.affine || o_.track_running_stats)) materialise(x.size(1), x.dtype());
  const int64_t C =
      o_.affine ? weight_.size(0) : (o_.track_running_stats ? running_mean_.size(0) : x.size(1));
  PHYSCNN_CHECK_SHAPE(x.size(1) == C, "input has ", x.size(1), " channels, expected ", C,
                      " (input ", x.shape().str(), ")");
  const int64_t per_channel = x.numel() / std::max<int64_t>(1, C);
  // A load-time shape pass (Module::build) runs a batch of one: without running statistics there
  // is nothing to normalise it with, so it goes through with mean 0 and variance 1 (only the
  // shape counts); real batches must have more than one value per channel, as in PyTorch.
  const bool shape_pass = detail::in_build() && per_channel <= 1;
  const bool use_batch_stats = (training_ || !o_.track_running_stats) && !shape_pass;
  if (use_batch_stats) {
    PHYSCNN_CHECK_SHAPE(per_channel > 1, "needs more than 1 value per channel in training, got ",
                        "input ", x.shape().str());
  }
  double momentum = o_.momentum.value_or(0.0);
  if (training_ && o_.track_running_stats) {
    num_batches_tracked_.fill_(num_batches_tracked_.item() + 1);
    if (!o_.momentum) momentum = 1.0 / num_batches_tracked_.item();
  }
  if (replica_sum_ && use_batch_stats && !shape_pass) {
    if (o_.track_running_stats)
      return ag::batch_norm_replicas(x, weight_, bias_, running_mean_, running_var_, momentum,
                                     o_.eps, fuse_relu, replica_sum_);
    Tensor none;
    return ag::batch_norm_replicas(x, weight_, bias_, none, none, 0.0, o_.eps, fuse_relu,
                                   replica_sum_);
  }
  if (!o_.track_running_stats || shape_pass) {
    // The op updates running statistics in training; these scratch tensors absorb it.
    Tensor mean = Tensor::zeros(Shape{C}, x.dtype()), var = Tensor::ones(Shape{C}, x.dtype());
    return (fuse_relu ? ag::batch_norm_relu : ag::batch_norm)(x, weight_, bias_, mean, var,
                                                              use_batch_stats, 0.0, o_.eps);
  }
  return (fuse_relu ? ag::batch_norm_relu : ag::batch_norm)(
      x, weight_, bias_, running_mean_, running_var_, use_batch_stats, momentum, o_.eps);
}

std::string BatchNorm::batch_coupling() const {
  if (training_ || !o_.track_running_stats)
    return "normalises with batch statistics" +
           std::string(training_ ? " in training" : " (no running statistics tracked)");
  return "";
}

// --- Dropout ----------------------------------------------------------------------------------

Dropout::Dropout(const DropoutOptions& o, Rng rng) : o_(o), rng_(rng) {
  PHYSCNN_CHECK_ARG(o.p >= 0 && o.p <= 1, "Dropout: p must be in [0, 1], got ", o.p);
}

Var Dropout::forward(const Var& x) {
  return ag::dropout(x, o_.p, training_, rng_);
}

Var Dropout2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  return ag::dropout2d(x, o_.p, training_, rng_);
}

// --- pooling ----------------------------------------------------------------------------------

Pool2d::Pool2d(PoolKind kind, const Pool2dOptions& o) : kind_(kind), o_(o) {
  const char* name = kind == PoolKind::Max ? "MaxPool2d" : "AvgPool2d";
  PHYSCNN_CHECK_ARG(o.kernel.h > 0 && o.kernel.w > 0, name, ": kernel must be > 0");
  PHYSCNN_CHECK_ARG(o.stride.h >= 0 && o.stride.w >= 0, name, ": stride must be >= 0");
  PHYSCNN_CHECK_ARG(o.padding.h >= 0 && o.padding.w >= 0 && 2 * o.padding.h <= o.kernel.h &&
                        2 * o.padding.w <= o.kernel.w,
                    name, ": padding ", o.padding.h, "x", o.padding.w,
                    " must be at most half the kernel ", o.kernel.h, "x", o.kernel.w,
                    " (as PyTorch)");
  args_ = {.kernel = {o.kernel.h, o.kernel.w},
           .stride = {o.stride.h, o.stride.w},
           .padding = {o.padding.h, o.padding.w},
           .dilation = {o.dilation.h, o.dilation.w},
           .ceil_mode = o.ceil_mode,
           .count_include_pad = o.count_include_pad};
}

Var Pool2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  // As PyTorch: a window may reach past the padded input in ceil mode, as long as every output
  // window starts inside it; the output must not be empty.
  for (int d = 0; d < 2; ++d) {
    const int64_t stride = args_.stride[d] > 0 ? args_.stride[d] : args_.kernel[d];
    const int64_t out =
        kernels::pool_output_extent(x.size(2 + d), args_.kernel[d], stride, args_.padding[d],
                                    args_.dilation[d], args_.ceil_mode);
    PHYSCNN_CHECK_SHAPE(out >= 1, "window ", args_.kernel[0], "x", args_.kernel[1], " spans ",
                        args_.dilation[d] * (args_.kernel[d] - 1) + 1,
                        d == 0 ? " rows" : " columns", " but the padded input has ",
                        x.size(2 + d) + 2 * args_.padding[d], " (input ", x.shape().str(), ")");
  }
  return kind_ == PoolKind::Max ? ag::max_pool2d(x, args_) : ag::avg_pool2d(x, args_);
}

Pool1d::Pool1d(PoolKind kind, const Pool1dOptions& o) : kind_(kind), o_(o) {
  const char* name = kind == PoolKind::Max ? "MaxPool1d" : "AvgPool1d";
  PHYSCNN_CHECK_ARG(o.kernel > 0, name, ": kernel must be > 0");
  PHYSCNN_CHECK_ARG(o.stride >= 0, name, ": stride must be >= 0");
  PHYSCNN_CHECK_ARG(o.padding >= 0 && 2 * o.padding <= o.kernel, name, ": padding ", o.padding,
                    " must be at most half the kernel ", o.kernel);
  args_ = {.kernel = {1, o.kernel},
           .stride = {1, o.stride},
           .padding = {0, o.padding},
           .dilation = {1, o.dilation},
           .ceil_mode = o.ceil_mode,
           .count_include_pad = o.count_include_pad};
}

Var Pool1d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 3, "expects a (N,C,L) input, got ", x.shape().str());
  const int64_t stride = args_.stride[1] > 0 ? args_.stride[1] : args_.kernel[1];
  const int64_t out = kernels::pool_output_extent(
      x.size(2), args_.kernel[1], stride, args_.padding[1], args_.dilation[1], args_.ceil_mode);
  PHYSCNN_CHECK_SHAPE(out >= 1, "window ", args_.kernel[1], " spans ",
                      args_.dilation[1] * (args_.kernel[1] - 1) + 1, " but the padded input has ",
                      x.size(2) + 2 * args_.padding[1], " (input ", x.shape().str(), ")");
  return kind_ == PoolKind::Max ? ag::max_pool1d(x, args_) : ag::avg_pool1d(x, args_);
}

Var GlobalAvgPool2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  return ag::global_avg_pool2d(x);
}

Var GlobalMaxPool2d::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  return ag::global_max_pool2d(x);
}

// --- Upsample ---------------------------------------------------------------------------------

Upsample::Upsample(const UpsampleOptions& o) : o_(o) {
  PHYSCNN_CHECK_ARG((o.size.h > 0 && o.size.w > 0) || (o.scale[0] > 0 && o.scale[1] > 0),
                    "Upsample: give an output size or a positive scale");
  PHYSCNN_CHECK_ARG(o.mode != UpsampleMode::Nearest || !o.align_corners,
                    "Upsample: align_corners applies to bilinear mode only, not nearest");
  args_ = {.size = {o.size.h, o.size.w},
           .scale = o.scale,
           .mode = o.mode,
           .align_corners = o.align_corners};
}

Var Upsample::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  return ag::upsample2d(x, args_);
}

}  // namespace physcnn::nn

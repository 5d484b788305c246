// Differentiable ops on Vars, one family per file in ops/. Argument structs mirror PyTorch's
// torch.nn.functional so that a model can be transcribed line by line; defaults are PyTorch's.
// Shapes are checked once at op entry and errors name the op, the condition and both shapes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "autograd/var.hpp"
#include "core/rng.hpp"
#include "tensor/ops.hpp"

namespace physcnn::autograd {

// --- ops/basic.cpp: arithmetic, reductions and shape ops (composed, small backwards) --------
Var add(const Var& a, const Var& b);  // broadcasting
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var neg(const Var& a);
Var scale(const Var& a, double s);
Var add_scalar(const Var& a, double s);
Var square(const Var& a);
Var exp(const Var& a);
Var log(const Var& a);
Var sum(const Var& a);   // scalar
Var mean(const Var& a);  // scalar
Var sum(const Var& a, const std::vector<int64_t>& dims, bool keepdim = false);
Var mean(const Var& a, const std::vector<int64_t>& dims, bool keepdim = false);
Var reshape(const Var& a, const Shape& shape);
Var flatten(const Var& a, int64_t start_dim = 1);
Var permute(const Var& a, const std::vector<int64_t>& dims);
Var concat(const std::vector<Var>& parts, int64_t dim);  // U-Net skip connections use dim 1
// pads as torch.nn.functional.pad: {left, right} or {left, right, top, bottom}
Var pad(const Var& a, const std::vector<int64_t>& pads, PadMode mode, double value = 0.0);
Var matmul(const Var& a, const Var& b);  // (M,K) x (K,N)
// x (N, in), weight (out, in), bias (out) or undefined; y = x W^T + b
Var linear(const Var& x, const Var& weight, const Var& bias);

// --- ops/gather.cpp --------------------------------------------------------------------------
// out.flat[i] = a.flat[index[i]] with out of the given shape (torch.take); the backward
// scatter-adds. Indices are checked once, against a's element count.
Tensor take(const Tensor& a, const std::vector<int64_t>& index, const Shape& shape);
Var take(const Var& a, std::shared_ptr<const std::vector<int64_t>> index, const Shape& shape);

// --- ops/activation.cpp --------------------------------------------------------------------
Var relu(const Var& x);
Var leaky_relu(const Var& x, double negative_slope = 0.01);
Var elu(const Var& x, double alpha = 1.0);
enum class GeluApprox { None, Tanh };
Var gelu(const Var& x, GeluApprox approximate = GeluApprox::None);
Var sigmoid(const Var& x);
Var tanh(const Var& x);
Var softmax(const Var& x, int64_t dim);
Var log_softmax(const Var& x, int64_t dim);

// --- ops/conv.cpp ----------------------------------------------------------------------------
// Padding per side. "same" keeps the size for stride 1 (extra pixel at the end, as PyTorch),
// "valid" is no padding; both are resolved by the module before calling these.
struct Conv2dArgs {
  std::array<int64_t, 2> stride{1, 1};         // SH, SW
  std::array<int64_t, 4> padding{0, 0, 0, 0};  // top, bottom, left, right
  PadMode padding_mode = PadMode::Zeros;
  std::array<int64_t, 2> dilation{1, 1};  // DH, DW
  int64_t groups = 1;
};
// x (N,IC,IH,IW), weight (OC,IC/G,KH,KW), bias (OC) or undefined -> (N,OC,OH,OW)
Var conv2d(const Var& x, const Var& weight, const Var& bias, const Conv2dArgs& args);
// relu(conv2d(x, weight, bias, args)) as one op: the ReLU runs inside the convolution's output
// pass (oneDNN post-op) and its backward uses the saved output as the mask. nn::Sequential
// calls it for a Conv2d directly followed by a ReLU; model graphs may call it likewise.
Var conv2d_relu(const Var& x, const Var& weight, const Var& bias, const Conv2dArgs& args);
struct Conv1dArgs {
  int64_t stride = 1;
  std::array<int64_t, 2> padding{0, 0};  // left, right
  PadMode padding_mode = PadMode::Zeros;
  int64_t dilation = 1;
  int64_t groups = 1;
};
// x (N,IC,L), weight (OC,IC/G,K), bias (OC) or undefined -> (N,OC,OL)
Var conv1d(const Var& x, const Var& weight, const Var& bias, const Conv1dArgs& args);
struct ConvTranspose2dArgs {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};  // PH, PW (symmetric, as PyTorch)
  std::array<int64_t, 2> output_padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
// x (N,IC,IH,IW), weight (IC,OC/G,KH,KW), bias (OC) or undefined -> (N,OC,OH,OW) with
// OH = (IH-1)*SH - 2*PH + DH*(KH-1) + output_padding + 1
Var conv_transpose2d(const Var& x, const Var& weight, const Var& bias,
                     const ConvTranspose2dArgs& args);

// --- ops/pool.cpp ----------------------------------------------------------------------------
struct Pool2dArgs {
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{0, 0};    // 0 means "equal to kernel", as PyTorch's default
  std::array<int64_t, 2> padding{0, 0};   // symmetric; implicit -inf (max) or 0 (avg)
  std::array<int64_t, 2> dilation{1, 1};  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
};
Var max_pool2d(const Var& x, const Pool2dArgs& args);  // (N,C,H,W)
Var avg_pool2d(const Var& x, const Pool2dArgs& args);
Var max_pool1d(const Var& x, const Pool2dArgs& args);  // (N,C,L): uses kernel[1], stride[1], ...
Var avg_pool1d(const Var& x, const Pool2dArgs& args);
Var global_avg_pool2d(const Var& x);  // (N,C,H,W) -> (N,C,1,1)
Var global_max_pool2d(const Var& x);  // (N,C,H,W) -> (N,C,1,1)
enum class UpsampleMode { Nearest, Bilinear };
struct UpsampleArgs {
  std::array<int64_t, 2> size{0, 0};  // output (OH, OW); 0 means use scale
  std::array<double, 2> scale{2.0, 2.0};
  UpsampleMode mode = UpsampleMode::Nearest;
  bool align_corners = false;  // bilinear only
};
Var upsample2d(const Var& x, const UpsampleArgs& args);

// --- ops/norm.cpp ----------------------------------------------------------------------------
// x (N,C), (N,C,L) or (N,C,H,W). Training: normalise with batch statistics (biased variance)
// and update running_mean/var in place with the unbiased variance, as PyTorch. Evaluation:
// use the running statistics. weight/bias may be undefined (affine=false).
Var batch_norm(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
               Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);
// relu(batch_norm(...)) as one op, same arguments: the clamp in the output pass, the mask
// inside the backward's passes, no stored pre-activation. Output equal to the composition bit
// for bit, gradients to rounding (the masked sums may associate differently).
Var batch_norm_relu(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);
// Sums a vector over the replicas of a data-parallel job, in place; every replica calls it at
// the same point (train/grad_sync.cpp gives it an MPI all-reduce).
using ReplicaSum = std::function<void(std::span<double>)>;
// batch_norm (relu: batch_norm_relu) in training with the statistics of the batch over all
// replicas (synchronised batch norm, ops/norm_replicas.cpp): the count, sum and sum of squares
// per channel are summed with `sum` in the forward, the sums of gy and gy * xhat in the
// backward, so each replica's output and input gradient are those of one process holding every
// replica's samples. The parameter gradients are this replica's parts (summed later with the
// other gradients).
Var batch_norm_replicas(const Var& x, const Var& weight, const Var& bias, Tensor& running_mean,
                        Tensor& running_var, double momentum, double eps, bool relu,
                        const ReplicaSum& sum);
// Dropout scales kept values by 1/(1-p) in training; identity in evaluation.
Var dropout(const Var& x, double p, bool training, Rng& rng);
// Spatial dropout (Dropout2d): zeroes whole channels of (N,C,H,W).
Var dropout2d(const Var& x, double p, bool training, Rng& rng);

// --- ops/loss.cpp ----------------------------------------------------------------------------
enum class Reduction { Mean, Sum, None };
Var mse_loss(const Var& input, const Var& target, Reduction reduction = Reduction::Mean);
struct CrossEntropyArgs {
  Tensor class_weights{};  // (C) or undefined; {} lets callers omit it under -Wextra
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  Reduction reduction = Reduction::Mean;
};
// logits (N,C) or (N,C,d1,...) ; target holds class indices as numbers, shape (N) or (N,d1,...)
Var cross_entropy(const Var& logits, const Tensor& target, const CrossEntropyArgs& args = {});
// logits and target of the same shape; target in [0,1]; pos_weight (C) optional, broadcast
// over the last... as PyTorch: broadcast against the logits.
Var bce_with_logits(const Var& logits, const Tensor& target, Reduction reduction = Reduction::Mean,
                    const Tensor& pos_weight = Tensor());

// --- ops/segmentation_loss.cpp -----------------------------------------------------------------
// Both take logits (N,C,d1,...) and class indices (N,d1,...) in [0, C) (no ignored pixels) and
// return a scalar that is a mean over the samples, so a batch cut into chunks gives the same
// loss and gradients as the whole.
// Soft Dice per sample and class with softmax probabilities p and one-hot targets t (Milletari et
// al. 2016, with additive smoothing): 1 - mean over (n, c) of (2 sum p t + smooth) /
// (sum p + sum t + smooth), the sums over the pixels of sample n. A class absent from both the
// truth and the prediction scores 1.
Var dice_loss(const Var& logits, const Tensor& target, double smooth = 1.0);
// Focal loss (Lin et al. 2017) without class weights: mean over the pixels of
// -(1 - p_t)^gamma log p_t, p_t the softmax probability of the true class; gamma = 0 is the
// cross-entropy.
Var focal_loss(const Var& logits, const Tensor& target, int64_t gamma = 2);

}  // namespace physcnn::autograd

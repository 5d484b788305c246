// Group-equivariant layers for p4 and p4m (Cohen & Welling 2016): the lifting convolution
// (image -> fields over the group), the group convolution (group -> group), pooling over the
// orientations and batch norm with statistics shared by the orientations of a field.
//
// Channel layout: a field over a group of order |G| with F fields is an ordinary (N, F |G|, H, W)
// tensor whose channel f |G| + g holds orientation g of field f (element numbering in
// nn/group.hpp). Both convolutions transform and stack their filter bank (autograd::take) and
// call the ordinary conv2d, so the fast kernels run and the gradients come from take and conv2d.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nn/conv.hpp"
#include "nn/group.hpp"
#include "nn/layers.hpp"

namespace physcnn::nn {

struct GroupConv2dOptions {
  SymmetryGroup group = SymmetryGroup::P4;
  // Lifting: image channels. Group convolution: input fields (channels / |G|). 0 = infer.
  int64_t in = 0;
  int64_t out = 0;     // output fields: the layer emits out |G| channels
  int64_t kernel = 0;  // square kernels only: a turn must map the kernel onto itself
  int64_t stride = 1;
  // Symmetric padding only (an int, "same" for odd kernels, "valid"), so that the padded map
  // turns about the same centre as the image.
  PadSpec padding = 0;
  Padding padding_mode = Padding::Zeros;
  int64_t dilation = 1;
  int64_t groups = 1;  // channel groups over the fields, as conv2d's over its channels
  bool bias = true;    // one bias per output field, shared by its orientations
};

// Lifting (lifting = true): x (N, IC, H, W) -> (N, OC |G|, OH, OW); weight (OC, IC/G, K, K),
//   bank[c |G| + r, i] = T_r weight[c, i].
// Group convolution: x (N, IC |G|, H, W) -> (N, OC |G|, OH, OW); weight (OC, IC/G, |G|, K, K),
//   bank[c |G| + r, i |G| + h] = T_r weight[c, i, r^-1 h].
// bias (OC), bank bias[c |G| + r] = bias[c]. OH as conv2d's. Equivariance is exact for
// stride 1, and for stride s when (H + 2 P - D (K - 1) - 1) is a multiple of s (the sampled
// grid then turns onto itself).
class GroupConvBase : public Module {
 public:
  Var forward(const Var& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  int64_t macs(const Shape& in, const Shape& out) const override;
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // A following evaluation-mode GroupBatchNorm2d of the same group folds into the bank.
  bool export_absorbs(const Module& next) const override;
  std::string export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next) override;
  const GroupConv2dOptions& options() const { return o_; }
  int64_t order() const { return group_order(o_.group); }
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }
  // The transformed bank and bias as conv2d receives them (differentiable in the weights when
  // gradients are recorded). Without gradients (evaluation, prediction, the probe) the bank is
  // kept and rebuilt only when the weights differ from those it was built from.
  Var filter_bank() const;
  Var bank_bias() const;
  // How many times the bank was gathered (tests and the measurement of the cache).
  int64_t bank_builds() const { return bank_builds_; }

 protected:
  GroupConvBase(const GroupConv2dOptions& o, bool lifting, Rng rng);

 private:
  void materialise(int64_t in_channels, DType dtype);
  int64_t resolved_padding() const;
  GroupConv2dOptions o_;
  bool lifting_;
  Rng rng_;
  Var weight_, bias_;
  std::shared_ptr<const std::vector<int64_t>> bank_index_, bias_index_;
  Shape bank_shape_;
  // The no-gradient cache: the bank and a copy of the weights it came from. A tensor carries no
  // version counter and optimizers write through raw pointers, so the copy is compared (|G|
  // times fewer elements than the bank gathers; measured in docs/symmetry.md).
  mutable std::mutex cache_mutex_;
  mutable Tensor cached_weight_, cached_bank_;
  mutable std::atomic<int64_t> bank_builds_ = 0;
};

class GroupLiftConv2d : public GroupConvBase {
 public:
  explicit GroupLiftConv2d(const GroupConv2dOptions& o, Rng rng = default_init_rng())
      : GroupConvBase(o, true, rng) {}
  std::string type_name() const override { return "GroupLiftConv2d"; }
  static LayerSpec spec();
};

class GroupConv2d : public GroupConvBase {
 public:
  explicit GroupConv2d(const GroupConv2dOptions& o, Rng rng = default_init_rng())
      : GroupConvBase(o, false, rng) {}
  std::string type_name() const override { return "GroupConv2d"; }
  static LayerSpec spec();
};

enum class GroupPoolMode { Max, Mean };

struct GroupPoolOptions {
  SymmetryGroup group = SymmetryGroup::P4;
  GroupPoolMode mode = GroupPoolMode::Max;
};

// x (N, F |G|, H, W) -> (N, F, H, W): max or mean over the |G| orientations of each field.
// Invariant: a transformed input gives the spatially transformed output.
class GroupPool : public Module {
 public:
  explicit GroupPool(const GroupPoolOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "GroupPool"; }
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  const GroupPoolOptions& options() const { return o_; }

 private:
  GroupPoolOptions o_;
};

// BatchNorm2d over fields: x (N, F |G|, H, W) is normalised as (N, F, |G| H, W), so the mean,
// variance, weight and bias of a field are shared by its orientations (parameters and buffers
// of size F, PyTorch's BatchNorm names). `features` counts fields.
class GroupBatchNorm2d : public BatchNorm {
 public:
  explicit GroupBatchNorm2d(const BatchNormOptions& o = {}, SymmetryGroup g = SymmetryGroup::P4)
      : BatchNorm(o, {4}), group_(g) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "GroupBatchNorm2d"; }
  // The reshape back follows the normalisation, so a following ReLU runs as its own op.
  bool fuses_with_following_relu() const override { return false; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  // The per-field evaluation scale and shift, expanded over the orientations.
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::pair<Tensor, Tensor> eval_scale_shift_per_channel() const;
  SymmetryGroup group() const { return group_; }

 private:
  SymmetryGroup group_;
};

// The order of the group whose fields the layer outputs (lifting and group convolutions, group
// batch norm), or 0 for a layer that outputs plain images: the invariance probe asks.
int64_t group_output_order(const Module& m);

}  // namespace physcnn::nn

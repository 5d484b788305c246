// Linear, batch norm, dropout, pooling and upsampling layers with PyTorch defaults. Linear and
// BatchNorm are lazy when their feature count is 0 (created from the first input).
#pragma once

#include <optional>
#include <string>

#include "autograd/functional.hpp"
#include "nn/conv.hpp"
#include "nn/module.hpp"

namespace physcnn::nn {

struct LinearOptions {
  int64_t in = 0;  // 0 = infer on the first forward
  int64_t out = 0;
  bool bias = true;
};

// x (N,in) -> (N,out); weight (out,in), bias (out).
class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }

 private:
  void materialise(int64_t in_features, DType dtype);
  LinearOptions o_;
  Rng rng_;
  Var weight_, bias_;
};

struct BatchNormOptions {
  int64_t features = 0;  // channels; 0 = infer on the first forward
  double eps = 1e-5;
  // Running-average factor; nullopt = cumulative average 1/num_batches_tracked, as PyTorch's
  // momentum=None.
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

// Parameters weight (1), bias (0); buffers running_mean, running_var, num_batches_tracked.
// Training normalises with batch statistics; evaluation with the running ones (when tracked).
class BatchNorm : public Module {
 public:
  Var forward(const Var& x) override;
  // Batch statistics (training, or no running statistics tracked) couple the samples.
  std::string batch_coupling() const override;
  // BatchNormalization with the running statistics; refused without them.
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // The evaluation-mode per-channel y = scale * x + shift (float64), for folding into a
  // convolution; UsageError naming the layer when no running statistics are tracked.
  std::pair<Tensor, Tensor> eval_scale_shift() const;
  // forward runs autograd::batch_norm_relu inside call_with_relu().
  bool fuses_with_following_relu() const override { return true; }
  LayerArgs layer_args() const override;
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }
  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  Tensor& num_batches_tracked() { return num_batches_tracked_; }
  // Synchronised batch norm for data-parallel training: with a sum, training normalises with
  // the statistics over every replica's batch (autograd::batch_norm_replicas); null: off.
  void set_replica_sum(autograd::ReplicaSum sum) { replica_sum_ = std::move(sum); }

 protected:
  BatchNorm(const BatchNormOptions& o, std::vector<int64_t> ranks);

 private:
  void materialise(int64_t features, DType dtype);
  BatchNormOptions o_;
  std::vector<int64_t> ranks_;  // accepted input ranks
  Var weight_, bias_;
  Tensor running_mean_, running_var_, num_batches_tracked_;
  autograd::ReplicaSum replica_sum_;
};

// The batch-norm keys of a model-file entry (features, eps, momentum, affine,
// track_running_stats) as options; ctx names the layer type in errors.
BatchNormOptions batch_norm_options(const LayerArgs& args, const std::string& ctx);

class BatchNorm1d : public BatchNorm {  // (N,C) or (N,C,L)
 public:
  explicit BatchNorm1d(const BatchNormOptions& o = {}) : BatchNorm(o, {2, 3}) {}
  std::string type_name() const override { return "BatchNorm1d"; }
  static LayerSpec spec();
};

class BatchNorm2d : public BatchNorm {  // (N,C,H,W)
 public:
  explicit BatchNorm2d(const BatchNormOptions& o = {}) : BatchNorm(o, {4}) {}
  std::string type_name() const override { return "BatchNorm2d"; }
  static LayerSpec spec();
};

struct DropoutOptions {
  double p = 0.5;
};

// Zeroes elements with probability p in training and scales the rest by 1/(1-p); identity in
// evaluation. Own Rng stream, so masks are reproducible per seed.
class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& o = {}, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Dropout"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // Masks are drawn per element, so samples stay independent (their masks differ by position).
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  // The generator of the masks; a trainer reseeds it per epoch so that a resumed run repeats
  // the masks of an uninterrupted one.
  void set_rng(const Rng& rng) { rng_ = rng; }

 protected:
  DropoutOptions o_;
  Rng rng_;
};

// Zeroes whole channels of (N,C,H,W).
class Dropout2d : public Dropout {
 public:
  explicit Dropout2d(const DropoutOptions& o = {}, Rng rng = default_init_rng())
      : Dropout(o, rng) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Dropout2d"; }
  static LayerSpec spec();
};

struct Pool2dOptions {
  Size2 kernel = 2;
  Size2 stride = 0;  // 0 = equal to kernel (PyTorch's default)
  Size2 padding = 0;
  Size2 dilation = 1;  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
};

struct Pool1dOptions {
  int64_t kernel = 2;
  int64_t stride = 0;  // 0 = equal to kernel
  int64_t padding = 0;
  int64_t dilation = 1;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

enum class PoolKind { Max, Avg };

// (N,C,H,W) -> (N,C,OH,OW)
class Pool2d : public Module {
 public:
  Pool2d(PoolKind kind, const Pool2dOptions& o);
  Var forward(const Var& x) override;
  std::string type_name() const override {
    return kind_ == PoolKind::Max ? "MaxPool2d" : "AvgPool2d";
  }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;

 private:
  PoolKind kind_;
  Pool2dOptions o_;
  autograd::Pool2dArgs args_;
};

class MaxPool2d : public Pool2d {
 public:
  explicit MaxPool2d(const Pool2dOptions& o = {}) : Pool2d(PoolKind::Max, o) {}
  static LayerSpec spec();
};
class AvgPool2d : public Pool2d {
 public:
  explicit AvgPool2d(const Pool2dOptions& o = {}) : Pool2d(PoolKind::Avg, o) {}
  static LayerSpec spec();
};

// (N,C,L) -> (N,C,OL)
class Pool1d : public Module {
 public:
  Pool1d(PoolKind kind, const Pool1dOptions& o);
  Var forward(const Var& x) override;
  std::string type_name() const override {
    return kind_ == PoolKind::Max ? "MaxPool1d" : "AvgPool1d";
  }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;

 private:
  PoolKind kind_;
  Pool1dOptions o_;
  autograd::Pool2dArgs args_;
};

class MaxPool1d : public Pool1d {
 public:
  explicit MaxPool1d(const Pool1dOptions& o = {}) : Pool1d(PoolKind::Max, o) {}
  static LayerSpec spec();
};
class AvgPool1d : public Pool1d {
 public:
  explicit AvgPool1d(const Pool1dOptions& o = {}) : Pool1d(PoolKind::Avg, o) {}
  static LayerSpec spec();
};

// (N,C,H,W) -> (N,C,1,1), as AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1).
class GlobalAvgPool2d : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type_name() const override { return "GlobalAvgPool2d"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};
class GlobalMaxPool2d : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type_name() const override { return "GlobalMaxPool2d"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};

using UpsampleMode = autograd::UpsampleMode;
struct UpsampleOptions {
  Size2 size = 0;  // output (OH, OW); 0 = use scale
  std::array<double, 2> scale{2.0, 2.0};
  UpsampleMode mode = UpsampleMode::Nearest;
  bool align_corners = false;  // bilinear only
};

class Upsample : public Module {
 public:
  explicit Upsample(const UpsampleOptions& o = {});
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Upsample"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  UpsampleOptions o_;
  autograd::UpsampleArgs args_;
};

}  // namespace physcnn::nn

// Convolution layers: Conv1d, Conv2d, ConvTranspose2d and the composite
// DepthwiseSeparableConv2d. PyTorch defaults and initialisation; `in` = 0 makes the layer lazy
// (its weight is created from the first input's channel count).
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include "autograd/functional.hpp"
#include "nn/module.hpp"
#include "nn/registry.hpp"

namespace physcnn::nn {

// The padding_mode enum, spelled as in PyTorch: Padding::Circular.
using Padding = PadMode;

// An extent given as one int (both dimensions) or {h, w}.
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t v) : h(v), w(v) {}  // NOLINT: implicit on purpose (.kernel = 3)
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

// Convolution padding: an int (every side), {ph, pw} (2-d) or {left, right} (1-d),
// {top, bottom, left, right} (2-d, per side), or "same" / "valid".
struct PadSpec {
  enum class Kind { Explicit, Same, Valid };
  Kind kind = Kind::Explicit;
  std::vector<int64_t> values{0};
  PadSpec(int64_t p = 0) : values{p} {}  // NOLINT: implicit (.padding = 1)
  PadSpec(std::initializer_list<int64_t> v) : values(v) {}
  // "same" or "valid" (a literal; an array reference so that 0 stays an int).
  template <size_t N>
  PadSpec(const char (&name)[N]) : PadSpec(parse(name)) {}  // NOLINT
  static PadSpec parse(const std::string& name);            // UsageError unless "same" or "valid"
  PadSpec(Kind k) : kind(k) {}
};

// Size2 and PadSpec as model-file values: 3 or [3, 5]; 1, [1, 2], [t, b, l, r], "same", "valid".
Size2 read_size2(const ArgReader& a, const std::string& key, Size2 dflt);
KeyValue size2_value(Size2 s);
PadSpec read_padding(const ArgReader& a, const std::string& key, PadSpec dflt);
KeyValue padding_value(const PadSpec& p);
// padding_mode's spellings: "zeros", "circular", "reflect", "replicate".
const std::vector<std::pair<std::string, Padding>>& padding_mode_names();

struct Conv2dOptions {
  int64_t in = 0;  // input channels; 0 = infer on the first forward
  int64_t out = 0;
  Size2 kernel = 0;
  Size2 stride = 1;
  PadSpec padding = 0;
  Padding padding_mode = Padding::Zeros;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// x (N,IC,IH,IW) -> (N,OC,OH,OW); weight (OC,IC/G,KH,KW), bias (OC).
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Conv2d"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // A following evaluation-mode batch norm folds into the weights (GraphSink::fold_batch_norm).
  bool export_absorbs(const Module& next) const override;
  std::string export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  const Conv2dOptions& options() const { return o_; }
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }
  // The per-side padding {top, bottom, left, right} this layer applies ("same" resolved).
  std::array<int64_t, 4> resolved_padding() const;
  // forward runs autograd::conv2d_relu inside call_with_relu().
  bool fuses_with_following_relu() const override { return true; }

 private:
  void materialise(int64_t in_channels, DType dtype);
  Conv2dOptions o_;
  Rng rng_;
  Var weight_, bias_;
};

struct Conv1dOptions {
  int64_t in = 0;
  int64_t out = 0;
  int64_t kernel = 0;
  int64_t stride = 1;
  PadSpec padding = 0;  // int, {left, right}, "same" or "valid"
  Padding padding_mode = Padding::Zeros;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// x (N,IC,L) -> (N,OC,OL); weight (OC,IC/G,K), bias (OC).
class Conv1d : public Module {
 public:
  explicit Conv1d(const Conv1dOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Conv1d"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // A following evaluation-mode batch norm folds into the weights (GraphSink::fold_batch_norm).
  bool export_absorbs(const Module& next) const override;
  std::string export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }

 private:
  void materialise(int64_t in_channels, DType dtype);
  Conv1dOptions o_;
  Rng rng_;
  Var weight_, bias_;
};

struct ConvTranspose2dOptions {
  int64_t in = 0;
  int64_t out = 0;
  Size2 kernel = 0;
  Size2 stride = 1;
  Size2 padding = 0;  // symmetric, as PyTorch
  Size2 output_padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// x (N,IC,IH,IW) -> (N,OC,OH,OW), OH = (IH-1)*SH - 2*PH + DH*(KH-1) + output_padding + 1;
// weight (IC,OC/G,KH,KW). PyTorch's fan_in for its init is weight.size(1)*KH*KW.
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(const ConvTranspose2dOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "ConvTranspose2d"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }

 private:
  void materialise(int64_t in_channels, DType dtype);
  ConvTranspose2dOptions o_;
  Rng rng_;
  Var weight_, bias_;
};

// What runs between the depthwise and the pointwise convolution.
enum class BetweenActivation { None, ReLU };
const std::vector<std::pair<std::string, BetweenActivation>>& between_activation_names();

struct DepthwiseSeparableConv2dOptions {
  int64_t in = 0;  // 0 = infer on the first forward
  int64_t out = 0;
  Size2 kernel = 3;
  Size2 stride = 1;
  PadSpec padding = 0;
  Padding padding_mode = Padding::Zeros;
  Size2 dilation = 1;
  bool bias = true;
  bool norm = false;  // BatchNorm2d(in) after the depthwise convolution
  BetweenActivation activation = BetweenActivation::None;  // after it (and after the norm)
};

// Children "depthwise" (Conv2d in->in, groups = in), optionally "norm" (BatchNorm2d) and "act"
// (ReLU), then "pointwise" (1x1 Conv2d in->out), as MobileNet; state_dict keys
// depthwise.weight, norm.running_mean, pointwise.weight, ... Multiply-adds per sample (the
// children's summary rows): OH*OW*IC*KH*KW + OH*OW*IC*OC, against OH*OW*IC*KH*KW*OC for a
// standard convolution.
class DepthwiseSeparableConv2d : public Module {
 public:
  explicit DepthwiseSeparableConv2d(const DepthwiseSeparableConv2dOptions& o,
                                    Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "DepthwiseSeparableConv2d"; }
  // Its children are asked one by one (the norm couples the batch in training).
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  void materialise(int64_t in_channels, DType dtype);
  DepthwiseSeparableConv2dOptions o_;
  Rng rng_;
  std::shared_ptr<Conv2d> depthwise_, pointwise_;
  ModulePtr norm_, act_;
};

// PyTorch's default bound for weights and biases, 1/sqrt(fan_in) (kaiming_uniform_ with a=sqrt(5)).
Tensor uniform_init(const Shape& shape, int64_t fan_in, Rng& rng, DType dtype);

}  // namespace physcnn::nn

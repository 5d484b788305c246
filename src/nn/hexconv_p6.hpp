// The p6 lifting convolution on a hexagonal grid: one hexconv2d filter bank applied in all six
// 60-degree orientations, so that turning the input by 60 degrees about a cell turns the output
// maps and shifts the orientation index by one (group-equivariant CNNs, Cohen & Welling 2016,
// on the hexagonal lattice). Built by permuting the taps and calling the same parity conv2d
// pair as HexConv2d; no backward of its own.
#pragma once

#include <array>
#include <string>

#include "nn/hexconv.hpp"

namespace physcnn::nn {

// x (N,IC,H,W) -> (N,6*OC,HO,WO), HexConv2d's geometry. Output channel 6*o + n is filter o
// turned by n*60 degrees (hex_rotate60 applied n times to its taps). weight (OC, IC,
// 1 + 3k(k+1)) and bias (OC) are shared by the six orientations.
class HexConv2dP6 : public Module {
 public:
  explicit HexConv2dP6(const HexConv2dOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "HexConv2dP6"; }
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // The conv2d kernels (6*OC, IC, 2k+1, 2k+1) for centres in even and odd columns and the bias
  // (6*OC, undefined without bias) that forward applies.
  struct DenseBank {
    Var even, odd, bias;
  };
  DenseBank dense_bank() const;

 private:
  void materialise(int64_t in_channels, DType dtype);
  HexConv2dOptions o_;
  Rng rng_;
  Var weight_, bias_;
  std::array<Tensor, 2> rotated_scatter_;  // (taps, 6*(2k+1)^2) per column parity, float64
};

}  // namespace physcnn::nn

// Convolution over hexagonal neighbourhoods of a grid stored as hexagdly stores it (odd-q offset
// coordinates, nn/hex_grid.hpp). Built from two ordinary conv2d calls with masked
// (2k+1)x(2k+1) kernels, one for even and one for odd centre columns, so it runs on the fast
// kernels and the existing autograd; no backward of its own.
#pragma once

#include <array>
#include <string>

#include "autograd/functional.hpp"
#include "nn/module.hpp"
#include "nn/registry.hpp"

namespace physcnn::nn {

enum class HexBoundary { Zeros, Periodic };
const std::vector<std::pair<std::string, HexBoundary>>& hex_boundary_names();

struct HexConv2dOptions {
  int64_t in = 0;  // input channels; 0 = infer on the first forward
  int64_t out = 0;
  int64_t radius = 1;  // k rings around the centre: 1 + 3k(k+1) taps
  int64_t stride = 1;  // hexagdly's: centres s cells apart along the grid's axes
  HexBoundary boundary = HexBoundary::Zeros;
  bool bias = true;
};

// The options of a hexconv2d or hexconv2d_p6 entry of a model file (`type` names it in errors).
HexConv2dOptions hex_conv_options(const LayerArgs& args, const char* type);

// x (N,IC,H,W) -> (N,OC,HO,WO); weight (OC, IC, 1 + 3k(k+1)), taps in the order of
// hex_taps(k); bias (OC). Stride 1 keeps the grid (HO = H, WO = W). Stride s, as hexagdly:
// output column J is input column s*J, output row m is input row s*m, plus s/2 (rounded down)
// in odd output columns, so the centres form the grid scaled by s; WO = (W-1)/s + 1 and HO the
// shortest column, (H-1-s/2)/s + 1 (or (H-1)/s + 1 when WO = 1). Periodic boundaries wrap rows
// and columns (a torus); they need an even number of columns so that the column shift
// alternates across the seam, and with stride s, H % s == 0 and W % 2s == 0.
class HexConv2d : public Module {
 public:
  explicit HexConv2d(const HexConv2dOptions& o, Rng rng = default_init_rng());
  Var forward(const Var& x) override;
  std::string type_name() const override { return "HexConv2d"; }
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  int64_t macs(const Shape& in, const Shape& out) const override;
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  const HexConv2dOptions& options() const { return o_; }
  Var& weight() { return weight_; }
  Var& bias() { return bias_; }
  // The dense (OC, IC, 2k+1, 2k+1) conv2d kernel the layer applies at centres in columns of
  // the given parity (0 even, 1 odd): the taps scattered to their offset-coordinate places.
  Var dense_kernel(int parity) const;

 private:
  void materialise(int64_t in_channels, DType dtype);
  HexConv2dOptions o_;
  Rng rng_;
  Var weight_, bias_;
  std::array<Tensor, 2> scatter_;  // (taps, (2k+1)^2) 0/1 matrices, float64
};

}  // namespace physcnn::nn

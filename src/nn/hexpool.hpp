// Max pooling over hexagonal neighbourhoods of a grid stored as hexagdly stores it (odd-q offset
// coordinates, nn/hex_grid.hpp): each output cell is the largest input value within k rings
// of its centre. Cells outside a zero-boundary grid are ignored (as PyTorch's max pooling
// ignores its padding); periodic grids wrap.
#pragma once

#include <string>

#include "nn/hexconv.hpp"

namespace physcnn::nn {

struct HexPool2dOptions {
  int64_t radius = 1;  // k rings around the centre: 1 + 3k(k+1) cells
  int64_t stride = 2;  // hexagdly's stride (nn/hexconv.hpp); 2 halves the grid
  HexBoundary boundary = HexBoundary::Zeros;
};

// x (N,C,H,W) -> (N,C,HO,WO) with HexConv2d's output geometry. The neighbourhood values are
// gathered by a one-hot grouped conv2d pair and reduced by max_pool1d, so the gradient goes to
// the largest cell, as PyTorch's max pooling; no backward of its own.
class HexPool2d : public Module {
 public:
  explicit HexPool2d(const HexPool2dOptions& o = {});
  Var forward(const Var& x) override;
  std::string type_name() const override { return "HexPool2d"; }
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();
  std::string export_graph(GraphSink& g, const ExportValue& x) override;

 private:
  HexPool2dOptions o_;
};

}  // namespace physcnn::nn

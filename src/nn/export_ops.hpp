// Shared pieces of the layers' export_graph (nn/export.hpp): convolution nodes with every padding
// mode, float32 constants, value-name hints.
#pragma once

#include <string>
#include <vector>

#include "nn/module.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn::exporting {

// The name that an exported node of module m is built from: its path, or its type at the root.
std::string hint(const Module& m, const std::string& suffix = "");

// Pads the trailing spatial dimensions of x for a convolution with a padding mode other than
// zeros: Pad (reflect, edge) or Slice + Concat (circular, which ONNX's Pad lacks before opset
// 19). pads in ONNX order: begins of every spatial dimension, then ends.
std::string pad_spatial(GraphSink& g, const ExportValue& x, PadMode mode,
                        const std::vector<int64_t>& pads, const std::string& name);

struct ConvNode {
  Tensor weight, bias;  // bias may be undefined
  std::vector<int64_t> stride, pads, dilation;
  int64_t groups = 1;
  PadMode padding_mode = PadMode::Zeros;
};
// A Conv node (after pad_spatial when the padding mode is not zeros).
std::string conv(GraphSink& g, const ExportValue& x, const ConvNode& c, const std::string& name);

// Folds y = scale * conv(x) + shift (per output channel) into the weights and bias.
void fold_scale_shift(ConvNode& c, const Tensor& scale, const Tensor& shift);

}  // namespace physcnn::nn::exporting

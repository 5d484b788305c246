// What a layer needs to describe itself to an exported graph (ONNX, io stands above): named values,
// constant tensors and operator nodes. nn declares the interface; onnx/ writes the protobuf. Each
// layer's Module::export_graph says which operators compute it (nn/export_*.cpp), so the facts
// about a layer stay in the layer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/shape.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::nn {

// A value of the exported graph: its name and its shape with a batch of one (the exported batch
// dimension itself is symbolic).
struct ExportValue {
  std::string name;
  Shape shape;
};

// An operator attribute: int, float, string, ints or floats (ONNX's AttributeProto kinds).
using ExportAttr =
    std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;
using ExportAttrs = std::vector<std::pair<std::string, ExportAttr>>;

class GraphSink {
 public:
  virtual ~GraphSink() = default;
  // A constant float32 tensor (weights); returns its value name, unique, built from `hint`.
  virtual std::string constant(const std::string& hint, const Tensor& value) = 0;
  // A constant int64 vector (shapes, pads, axes).
  virtual std::string constant_i64(const std::string& hint, const std::vector<int64_t>& v) = 0;
  // An operator node of the default domain with one output; returns the output's name (unique,
  // built from `hint`). An empty input name is an omitted optional input.
  virtual std::string node(const std::string& op, const std::vector<std::string>& inputs,
                           const ExportAttrs& attrs, const std::string& hint) = 0;
  // Fold an evaluation-mode batch norm into the convolution before it (one Conv node) instead of
  // exporting a BatchNormalization node.
  bool fold_batch_norm = false;
};

}  // namespace physcnn::nn

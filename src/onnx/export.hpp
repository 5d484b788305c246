// ONNX export: a model's layers as ONNX operators (each layer's Module::export_graph), written
// with Debian's ONNX protobuf classes (libonnx) and checked with ONNX's own checker before the
// file is written. The batch dimension is symbolic ("N"); weights are float32 initializers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/shape.hpp"
#include "nn/module.hpp"

namespace onnx {
class ModelProto;
}

namespace physcnn::onnx_export {

// The ONNX opset written (ONNX 1.12's operators; ONNX Runtime and OpenCV read it).
inline constexpr int64_t kOpset = 13;

struct Options {
  // One Conv per convolution followed by an evaluation-mode batch norm (weights folded), instead
  // of a BatchNormalization node.
  bool fold_batch_norm = false;
  // Per-channel input normalisation (x - mean[c]) / std[c] that the model was trained behind
  // (a run's saved statistics); written as Sub and Div in front of the model when given.
  std::vector<double> mean, std;
  std::string producer_version;  // written into the file ("physcnn <version>")
};

// What was exported: the node count by operator and the graph's output shape (batch first).
struct Report {
  std::map<std::string, int> ops;
  Shape output;  // with a batch of one
};

// Builds the model (lazy layers materialise on zeros of (1, input...)) in evaluation mode,
// exports it and runs onnx::checker::check_model. UsageError naming the layer when a layer
// cannot be exported; the checker's complaint is an Error naming the node.
Report build_model(nn::Module& model, const Shape& input, const Options& options,
                   ::onnx::ModelProto& out);
// build_model, then the file written atomically (serialized protobuf).
Report export_onnx(nn::Module& model, const Shape& input, const std::string& path,
                   const Options& options = {});

}  // namespace physcnn::onnx_export

// The models that the ONNX tests export: together they use every exportable layer type and option
// (conv padding modes, dilation, groups, ceil-mode pooling, every upsampling mode, folded and
// unfolded batch norm, merges of Graph, Residual and Concat, the hexagonal and p4/p4m layers, the
// zoo's W1-W5).
#pragma once

#include <string>
#include <vector>

#include "core/shape.hpp"
#include "nn/module.hpp"

namespace physcnn::test {

struct OnnxCase {
  std::string name;
  nn::ModulePtr model;
  Shape input;  // one sample
  bool fold_batch_norm = false;
  // Why OpenCV 4.6's dnn cannot run this case (docs/onnx.md), or "" when it must match.
  std::string opencv_skip;
  // Input normalisation exported in front of the model (a run's statistics), or none.
  std::vector<double> mean, std;
};

std::vector<OnnxCase> onnx_cases();

}  // namespace physcnn::test

// Models from TOML files: one [[layer]] per layer, option names equal to the C++ option-struct
// fields, named nodes and blocks for residual and U-Net connections. The format is documented in
// docs/model_files.md; every error names the file, the line and the layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/shape.hpp"
#include "nn/graph.hpp"

namespace physcnn::io {

struct ModelFile {
  nn::ModulePtr model;      // an nn::Graph, built on `input` (lazy layers materialised)
  Shape input;              // per sample, without the batch: {C, H, W}
  std::string name;         // `name = ...` in the file, else the file's stem
  std::string description;  // `description = ...`, may be empty
  std::string source;       // the path or source name the model came from
};

// Reads and builds a model file. IoError when the file cannot be read; UsageError (ShapeError for
// a layer that does not fit its input) "FILE:LINE: [[layer]] 3 (conv2d): ..." for a bad file.
// The seed fixes the initial weights (one stream per layer).
ModelFile load_model_file(const std::string& path, uint64_t seed = 0);
// The same from text; source_name stands for the file in messages.
ModelFile parse_model_file(std::string_view text, const std::string& source_name,
                           uint64_t seed = 0);

// A model file's text for a model: an nn::Graph (module nodes, blocks of layers, merges), an
// nn::Sequential of layers, or one layer; every layer a registered type (nn/registry.hpp), else a
// UsageError naming it. Keys equal to the layer's defaults are left out. Parsing the text gives
// the same layers, node names and state_dict keys (weights are not part of a model file).
std::string model_file_text(const nn::Module& model, const Shape& input,
                            const std::string& name = "", const std::string& description = "");

// The layer types a model file accepts ("conv2d", "relu", ..., "add", "concat").
std::vector<std::string> model_file_layer_types();

}  // namespace physcnn::io

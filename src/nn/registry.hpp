// The layer registry: every layer type a model file (and the generic layer test) knows, one entry
// per type, each declared by the layer itself (a static spec() beside its forward).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/shape.hpp"
#include "nn/layer_keys.hpp"
#include "nn/module.hpp"

namespace physcnn::nn {

struct LayerSpec {
  std::string type;         // the model-file type: "conv2d"
  std::string module_type;  // the Module::type_name() it builds: "Conv2d"
  std::string help;         // one line for the key reference
  std::vector<LayerKey> keys;
  // Builds the layer from args checked against keys (absent keys: the option struct's defaults).
  std::function<ModulePtr(const LayerArgs&, Rng)> build;
  // A small valid configuration and one sample's input for it: the generic layer test runs every
  // registered type on these, so a new layer is tested by registering it.
  LayerArgs example;
  Shape example_input;
};

// Every layer type, in the order the key reference lists them.
const std::vector<LayerSpec>& layer_specs();
// The spec of a model-file type, or null.
const LayerSpec* find_layer_spec(const std::string& type);
// The spec whose module_type is m.type_name(), or null (containers, zoo models).
const LayerSpec* find_layer_spec(const Module& m);

// The other keys' defaults: what a layer built from the required keys of `given` alone reports.
// Empty when such a layer cannot be built.
LayerArgs default_args(const LayerSpec& spec, const LayerArgs& given);
// The key reference of every layer type in Markdown, as docs/model_files.md carries it.
std::string layer_key_reference();

}  // namespace physcnn::nn

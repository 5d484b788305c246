// The one list of layer types: a model file can name these, and the generic layer test runs each.
// Adding a layer: its own files with the contract of nn/module.hpp, then one line here.
#include "nn/registry.hpp"

#include <cctype>

#include "nn/activation.hpp"
#include "nn/conv.hpp"
#include "nn/group_conv.hpp"
#include "nn/hexconv.hpp"
#include "nn/hexconv_p6.hpp"
#include "nn/hexpool.hpp"
#include "nn/layers.hpp"

namespace physcnn::nn {

const std::vector<LayerSpec>& layer_specs() {
  static const std::vector<LayerSpec> specs{
      Conv1d::spec(),
      Conv2d::spec(),
      ConvTranspose2d::spec(),
      DepthwiseSeparableConv2d::spec(),
      HexConv2d::spec(),
      HexConv2dP6::spec(),
      Linear::spec(),
      BatchNorm1d::spec(),
      BatchNorm2d::spec(),
      Dropout::spec(),
      Dropout2d::spec(),
      MaxPool1d::spec(),
      AvgPool1d::spec(),
      MaxPool2d::spec(),
      AvgPool2d::spec(),
      GlobalAvgPool2d::spec(),
      GlobalMaxPool2d::spec(),
      HexPool2d::spec(),
      Upsample::spec(),
      ReLU::spec(),
      LeakyReLU::spec(),
      ELU::spec(),
      GELU::spec(),
      Sigmoid::spec(),
      Tanh::spec(),
      Softmax::spec(),
      LogSoftmax::spec(),
      Flatten::spec(),
      Identity::spec(),
      GroupLiftConv2d::spec(),
      GroupConv2d::spec(),
      GroupPool::spec(),
      GroupBatchNorm2d::spec(),
  };
  return specs;
}

const LayerSpec* find_layer_spec(const std::string& type) {
  for (const auto& s : layer_specs())
    if (s.type == type) return &s;
  return nullptr;
}

const LayerSpec* find_layer_spec(const Module& m) {
  const std::string name = m.type_name();
  for (const auto& s : layer_specs())
    if (s.module_type == name) return &s;
  return nullptr;
}

}  // namespace physcnn::nn

namespace physcnn::nn {

LayerArgs default_args(const LayerSpec& spec, const LayerArgs& given) {
  LayerArgs required;
  for (const auto& key : spec.keys)
    if (key.required && given.count(key.name)) required[key.name] = given.at(key.name);
  try {
    return spec.build(required, Rng(0))->layer_args();
  } catch (const Error&) {
    return {};
  }
}

std::string layer_key_reference() {
  std::string out;
  for (const auto& spec : layer_specs()) {
    std::string help = spec.help;
    if (!help.empty()) help[0] = char(std::toupper(static_cast<unsigned char>(help[0])));
    out += "#### `" + spec.type + "` (" + spec.module_type + ")\n\n" + help + ".";
    if (spec.keys.empty()) {
      out += " No keys.\n\n";
      continue;
    }
    out += "\n\n| key | value | default | meaning |\n|-----|-------|---------|---------|\n";
    const LayerArgs defaults = default_args(spec, spec.example);
    for (const auto& key : spec.keys) {
      auto d = defaults.find(key.name);
      const std::string dflt = key.required          ? "required"
                               : d != defaults.end() ? "`" + key_value_text(d->second) + "`"
                                                     : "";
      out += "| `" + key.name + "` | " + key_expectation(key) + " | " + dflt + " | " + key.help +
             " |\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace physcnn::nn

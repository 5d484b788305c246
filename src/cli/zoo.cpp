// The model zoo as the CLI names it.
#include "cli/zoo.hpp"

#include <filesystem>

#include "io/model_file.hpp"
#include "io/toml_util.hpp"
#include "nn/models/models.hpp"

namespace physcnn::cli {

const std::vector<ZooEntry>& zoo() {
  static const std::vector<ZooEntry> entries{
      {"lenet5", {1, 28, 28}, "W1: LeNet-5 for MNIST-format images"},
      {"fmnist_bn", {1, 28, 28}, "W2: two conv+BN+pool blocks for Fashion-MNIST"},
      {"ising_cnn", {1, 32, 32}, "W3: circular-padded CNN for Ising lattices"},
      {"unet_small", {1, 64, 64}, "W4: two-level U-Net, per-pixel classes"},
      {"tinyvgg", {3, 64, 64}, "W5: TinyVGG (CNN Explainer)"},
      {"vgg_small", {3, 32, 32}, "VGG-style, 32x32 images"},
      {"resnet_small", {3, 32, 32}, "ResNet-14, 32x32 images"},
      {"mobilenet_small", {3, 32, 32}, "MobileNet-style depthwise-separable CNN, 32x32 images"}};
  return entries;
}

nn::ModulePtr make_zoo_model(const std::string& name, uint64_t seed, const ZooEntry** entry) {
  namespace m = nn::models;
  for (const auto& e : zoo()) {
    if (e.name != name) continue;
    if (entry) *entry = &e;
    if (name == "lenet5") return m::lenet5(seed);
    if (name == "fmnist_bn") return m::fmnist_bn(seed);
    if (name == "ising_cnn") return m::ising_cnn(seed);
    if (name == "unet_small") return m::unet_small(seed);
    if (name == "tinyvgg") return m::tinyvgg(seed);
    if (name == "vgg_small") return m::vgg_small(seed);
    if (name == "resnet_small") return m::resnet_small(seed);
    if (name == "mobilenet_small") return m::mobilenet_small(seed);
  }
  std::string names;
  std::vector<std::string> candidates;
  for (const auto& e : zoo()) {
    names += (names.empty() ? "" : ", ") + e.name;
    candidates.push_back(e.name);
  }
  throw UsageError("unknown model '" + name + "'" + io::did_you_mean(name, candidates) +
                   " (the zoo has: " + names + "; or give a model file, *.toml)");
}

ResolvedModel resolve_model(const std::string& name_or_path, uint64_t seed) {
  const bool is_file = name_or_path.ends_with(".toml") ||
                       (name_or_path.find('/') != std::string::npos) ||
                       std::filesystem::is_regular_file(name_or_path);
  if (is_file) {
    io::ModelFile mf = io::load_model_file(name_or_path, seed);
    std::string description = mf.description.empty() ? "model file " + name_or_path
                                                     : mf.description + ", " + name_or_path;
    return {mf.model, mf.input, mf.name, description};
  }
  const ZooEntry* entry = nullptr;
  nn::ModulePtr model = make_zoo_model(name_or_path, seed, &entry);
  model->build(entry->input);
  return {model, entry->input, entry->name, entry->description};
}

}  // namespace physcnn::cli

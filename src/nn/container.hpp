// Containers: Sequential (children "0", "1", ... or given names), Residual (body + shortcut,
// optional post-activation) and Concat (branches joined along channels) for skip connections.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace physcnn::nn {

// The one fusion rule: m followed by next runs as m.call_with_relu() (Conv2d: conv2d_relu;
// BatchNorm: batch_norm_relu, in training and evaluation) when m can
// (fuses_with_following_relu()), next is a plain ReLU, the fast path "fusion" is on, and nothing
// watches the individual outputs (no summary being recorded, no forward observer such as
// feature maps or Grad-CAM). Sequential asks it for neighbouring children, Graph for a node whose
// only reader is the next node.
bool fusable_with_relu(const Module& m, const Module& next);

// Children run in order; pairs that fusable_with_relu accepts run fused (same state_dict and
// summary rows).
class Sequential : public Module {
 public:
  Sequential() = default;
  // Children named "0", "1", ... as nn.Sequential(a, b, c).
  Sequential(std::initializer_list<ModulePtr> layers);
  explicit Sequential(const std::vector<ModulePtr>& layers);
  // Named children, as nn.Sequential(OrderedDict(...)).
  explicit Sequential(const std::vector<std::pair<std::string, ModulePtr>>& named);

  // Appends with the next index as name; returns the layer for builder code.
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(children().size()), std::move(m));
  }
  template <class M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> m) {
    return register_module(name, std::move(m));
  }
  ModulePtr operator[](size_t i) const { return children().at(i).second; }
  size_t size() const { return children().size(); }

  Var forward(const Var& x) override;
  std::string type_name() const override { return "Sequential"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
};

// y = post(body(x) + shortcut(x)); shortcut defaults to the identity (no child registered,
// as PyTorch's BasicBlock without downsample). Children "body", "shortcut", "post".
class Residual : public Module {
 public:
  explicit Residual(ModulePtr body, ModulePtr shortcut = nullptr, ModulePtr post = nullptr);
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Residual"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }

 private:
  ModulePtr body_, shortcut_, post_;
};

// Runs every branch on the same input and concatenates the results along dim (channels).
// Children "0", "1", ...
class Concat : public Module {
 public:
  explicit Concat(const std::vector<ModulePtr>& branches, int64_t dim = 1);
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Concat"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }

 private:
  int64_t dim_;
};

// Concatenates a skip tensor and the current one along channels (U-Net decoders), with a
// ShapeError naming both shapes when their spatial sizes differ.
Var concat_skip(const Var& up, const Var& skip);

}  // namespace physcnn::nn

// Parameter-free layers: activations, softmax, Flatten and Identity.
#pragma once

#include <string>

#include "autograd/functional.hpp"
#include "nn/module.hpp"
#include "nn/registry.hpp"

namespace physcnn::nn {

class ReLU : public Module {
 public:
  Var forward(const Var& x) override { return autograd::relu(x); }
  std::string type_name() const override { return "ReLU"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};

struct LeakyReLUOptions {
  double negative_slope = 0.01;
};
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(const LeakyReLUOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override { return autograd::leaky_relu(x, o_.negative_slope); }
  std::string type_name() const override { return "LeakyReLU"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  LeakyReLUOptions o_;
};

struct ELUOptions {
  double alpha = 1.0;
};
class ELU : public Module {
 public:
  explicit ELU(const ELUOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override { return autograd::elu(x, o_.alpha); }
  std::string type_name() const override { return "ELU"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  ELUOptions o_;
};

struct GELUOptions {
  autograd::GeluApprox approximate = autograd::GeluApprox::None;
};
class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override { return autograd::gelu(x, o_.approximate); }
  std::string type_name() const override { return "GELU"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  GELUOptions o_;
};

class Sigmoid : public Module {
 public:
  Var forward(const Var& x) override { return autograd::sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};

class Tanh : public Module {
 public:
  Var forward(const Var& x) override { return autograd::tanh(x); }
  std::string type_name() const override { return "Tanh"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};

struct SoftmaxOptions {
  int64_t dim = 1;  // the class dimension of (N,C,...)
};
class Softmax : public Module {
 public:
  explicit Softmax(const SoftmaxOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Softmax"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  SoftmaxOptions o_;
};
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(const SoftmaxOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  SoftmaxOptions o_;
};

struct FlattenOptions {
  int64_t start_dim = 1;  // flattens start_dim..last, as nn.Flatten()
};
class Flatten : public Module {
 public:
  explicit Flatten(const FlattenOptions& o = {}) : o_(o) {}
  Var forward(const Var& x) override;
  std::string type_name() const override { return "Flatten"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  LayerArgs layer_args() const override;
  static LayerSpec spec();

 private:
  FlattenOptions o_;
};

class Identity : public Module {
 public:
  Var forward(const Var& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }
  static LayerSpec spec();
};

}  // namespace physcnn::nn

// export_graph of the parameter-free layers (nn/activation.hpp): activations, softmax, Flatten,
// Identity. GELU is written out with Erf / Tanh (ONNX has Gelu only from opset 20).
#include <cmath>
#include <numbers>

#include "nn/activation.hpp"
#include "nn/export_ops.hpp"

namespace physcnn::nn {

namespace ex = exporting;

std::string ReLU::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("Relu", {x.name}, {}, ex::hint(*this));
}

std::string LeakyReLU::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("LeakyRelu", {x.name}, {{"alpha", o_.negative_slope}}, ex::hint(*this));
}

std::string ELU::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("Elu", {x.name}, {{"alpha", o_.alpha}}, ex::hint(*this));
}

std::string GELU::export_graph(GraphSink& g, const ExportValue& x) {
  const std::string name = ex::hint(*this);
  auto c = [&](const std::string& n, double v) {
    return g.constant(name + "." + n, Tensor::scalar(v));
  };
  std::string inner;
  if (o_.approximate == autograd::GeluApprox::None) {
    // 0.5 x (1 + erf(x / sqrt 2))
    inner = g.node(
        "Erf",
        {g.node("Mul", {x.name, c("rsqrt2", 1 / std::numbers::sqrt2)}, {}, name + ".scaled")}, {},
        name + ".erf");
  } else {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const std::string x3 = g.node(
        "Mul", {x.name, g.node("Mul", {x.name, x.name}, {}, name + ".x2")}, {}, name + ".x3");
    const std::string u = g.node(
        "Add", {x.name, g.node("Mul", {x3, c("k", 0.044715)}, {}, name + ".kx3")}, {}, name + ".u");
    inner = g.node("Tanh",
                   {g.node("Mul", {u, c("s", std::sqrt(2 / std::numbers::pi))}, {}, name + ".su")},
                   {}, name + ".tanh");
  }
  const std::string one_plus = g.node("Add", {inner, c("one", 1.0)}, {}, name + ".1p");
  const std::string half_x = g.node("Mul", {x.name, c("half", 0.5)}, {}, name + ".halfx");
  return g.node("Mul", {half_x, one_plus}, {}, name);
}

std::string Sigmoid::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("Sigmoid", {x.name}, {}, ex::hint(*this));
}

std::string Tanh::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("Tanh", {x.name}, {}, ex::hint(*this));
}

std::string Softmax::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("Softmax", {x.name}, {{"axis", x.shape.normalize(o_.dim)}}, ex::hint(*this));
}

std::string LogSoftmax::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("LogSoftmax", {x.name}, {{"axis", x.shape.normalize(o_.dim)}}, ex::hint(*this));
}

std::string Flatten::export_graph(GraphSink& g, const ExportValue& x) {
  const int64_t start = x.shape.normalize(o_.start_dim);
  if (start == 1) return g.node("Flatten", {x.name}, {{"axis", int64_t{1}}}, ex::hint(*this));
  // Keep dimensions 0..start-1 (0 = copy the input's extent), join the rest.
  std::vector<int64_t> shape(size_t(start), 0);
  shape.push_back(-1);
  return g.node("Reshape", {x.name, g.constant_i64(ex::hint(*this, "shape"), shape)}, {},
                ex::hint(*this));
}

std::string Identity::export_graph(GraphSink&, const ExportValue& x) {
  return x.name;
}

}  // namespace physcnn::nn

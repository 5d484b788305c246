// Activations, softmax, Flatten and Identity as model-file entries: their keys, builders from
// LayerArgs, the values they write back, and the small examples the generic layer test runs.
#include <type_traits>

#include "nn/activation.hpp"

namespace physcnn::nn {

namespace {

// A layer without options.
template <class M>
LayerSpec plain_spec(const std::string& type, const std::string& module_type,
                     const std::string& help) {
  return {.type = type,
          .module_type = module_type,
          .help = help,
          .keys = {},
          .build = [](const LayerArgs&, Rng) -> ModulePtr { return std::make_shared<M>(); },
          .example = {},
          .example_input = {2, 3}};
}

// A layer whose options are one number.
template <class M, class Options>
LayerSpec number_spec(const std::string& type, const std::string& module_type,
                      const std::string& help, const std::string& key, const std::string& key_help,
                      double Options::*field, double example) {
  return {.type = type,
          .module_type = module_type,
          .help = help,
          .keys = {{.name = key, .kind = KeyKind::Number, .help = key_help}},
          .build = [type, key, field](const LayerArgs& args, Rng) -> ModulePtr {
            Options o;
            o.*field = ArgReader(args, type).get_number(key, o.*field);
            return std::make_shared<M>(o);
          },
          .example = {{key, example}},
          .example_input = {2, 3}};
}

// A layer whose option is a dimension.
template <class M>
LayerSpec dim_spec(const std::string& type, const std::string& module_type, const std::string& help,
                   const std::string& key, const std::string& key_help, int64_t example,
                   Shape example_input) {
  return {.type = type,
          .module_type = module_type,
          .help = help,
          .keys = {{.name = key, .kind = KeyKind::Int, .help = key_help}},
          .build = [type, key](const LayerArgs& args, Rng) -> ModulePtr {
            const ArgReader a(args, type);
            if constexpr (std::is_same_v<M, Flatten>) {
              FlattenOptions o;
              o.start_dim = a.get_int(key, o.start_dim);
              return std::make_shared<M>(o);
            } else {
              SoftmaxOptions o;
              o.dim = a.get_int(key, o.dim);
              return std::make_shared<M>(o);
            }
          },
          .example = {{key, example}},
          .example_input = std::move(example_input)};
}

const std::vector<std::pair<std::string, autograd::GeluApprox>>& gelu_names() {
  static const std::vector<std::pair<std::string, autograd::GeluApprox>> names{
      {"none", autograd::GeluApprox::None}, {"tanh", autograd::GeluApprox::Tanh}};
  return names;
}

}  // namespace

LayerSpec ReLU::spec() {
  return plain_spec<ReLU>("relu", "ReLU", "max(x, 0)");
}
LayerSpec Sigmoid::spec() {
  return plain_spec<Sigmoid>("sigmoid", "Sigmoid", "1 / (1 + exp(-x))");
}
LayerSpec Tanh::spec() {
  return plain_spec<Tanh>("tanh", "Tanh", "tanh(x)");
}
LayerSpec Identity::spec() {
  return plain_spec<Identity>("identity", "Identity", "passes its input through");
}

LayerSpec LeakyReLU::spec() {
  return number_spec<LeakyReLU, LeakyReLUOptions>(
      "leaky_relu", "LeakyReLU", "x, or negative_slope * x below 0", "negative_slope",
      "slope below 0", &LeakyReLUOptions::negative_slope, 0.2);
}
LayerArgs LeakyReLU::layer_args() const {
  return {{"negative_slope", o_.negative_slope}};
}

LayerSpec ELU::spec() {
  return number_spec<ELU, ELUOptions>("elu", "ELU", "x, or alpha * (exp(x) - 1) below 0", "alpha",
                                      "scale below 0", &ELUOptions::alpha, 0.5);
}
LayerArgs ELU::layer_args() const {
  return {{"alpha", o_.alpha}};
}

LayerSpec GELU::spec() {
  return {.type = "gelu",
          .module_type = "GELU",
          .help = "x * Phi(x)",
          .keys = {{.name = "approximate",
                    .kind = KeyKind::Choice,
                    .help = "\"tanh\" for the tanh approximation",
                    .choices = choice_names(gelu_names())}},
          .build = [](const LayerArgs& args, Rng) -> ModulePtr {
            GELUOptions o;
            o.approximate =
                ArgReader(args, "gelu").choice("approximate", o.approximate, gelu_names());
            return std::make_shared<GELU>(o);
          },
          .example = {{"approximate", std::string("tanh")}},
          .example_input = {2, 3}};
}
LayerArgs GELU::layer_args() const {
  return {{"approximate", choice_name(o_.approximate, gelu_names())}};
}

LayerSpec Softmax::spec() {
  return dim_spec<Softmax>("softmax", "Softmax", "softmax along dim", "dim", "the class dimension",
                           1, {4});
}
LayerArgs Softmax::layer_args() const {
  return {{"dim", o_.dim}};
}
LayerSpec LogSoftmax::spec() {
  return dim_spec<LogSoftmax>("log_softmax", "LogSoftmax", "log of softmax along dim", "dim",
                              "the class dimension", -1, {2, 4});
}
LayerArgs LogSoftmax::layer_args() const {
  return {{"dim", o_.dim}};
}

LayerSpec Flatten::spec() {
  return dim_spec<Flatten>("flatten", "Flatten", "joins the dimensions from start_dim on",
                           "start_dim", "first dimension to join", 1, {2, 3, 4});
}
LayerArgs Flatten::layer_args() const {
  return {{"start_dim", o_.start_dim}};
}

}  // namespace physcnn::nn

// Feature maps, saliency, CAM and Grad-CAM: a forward observer (detail::forward_observer in
// module.hpp) captures or taps layer outputs; attributions are one backward from a one-hot seed.
#include "nn/inspect.hpp"

#include <cmath>

#include "nn/inspect_detail.hpp"
#include "nn/layers.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn {

namespace detail {

EvalScope::EvalScope(Module& m) : model_(m), was_training_(m.is_training()) {
  model_.eval();
}
EvalScope::~EvalScope() {
  model_.train(was_training_);
  model_.zero_grad();
}

ObserverScope::ObserverScope(ForwardObserver fn)
    : fn_(std::move(fn)), previous_(forward_observer()) {
  forward_observer() = &fn_;
}
ObserverScope::~ObserverScope() {
  forward_observer() = previous_;
}

std::string module_paths(Module& model) {
  std::string names;
  for (const auto& [name, m] : model.named_modules())
    names += (names.empty() ? "" : ", ") + name + " (" + m->type_name() + ")";
  return names.empty() ? "(none)" : names;
}

}  // namespace detail

namespace {

void check_input(const Tensor& x, const char* op) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() >= 2 && x.size(0) > 0, op,
                      ": input must be a batch (N, ...) with N >= 1, got shape ",
                      x.defined() ? x.shape().str() : "undefined");
}

// The class per sample: given, or the argmax of the output row.
ClassList resolve_classes(const Tensor& out, const ClassList& classes, const char* op) {
  PHYSCNN_CHECK_SHAPE(out.dim() == 2, op, ": the model output must be (N, classes), got shape ",
                      out.shape().str());
  const int64_t N = out.size(0), C = out.size(1);
  if (classes.empty()) return argmax(out, 1);
  PHYSCNN_CHECK_ARG(static_cast<int64_t>(classes.size()) == N || classes.size() == 1, op, ": ",
                    classes.size(), " classes given for a batch of ", N, " (give 1 or ", N, ")");
  ClassList out_classes;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t c = classes.size() == 1 ? classes[0] : classes[n];
    PHYSCNN_CHECK_ARG(c >= 0 && c < C, op, ": class ", c, " out of range: the model has ", C,
                      " outputs (output shape ", out.shape().str(), ")");
    out_classes.push_back(c);
  }
  return out_classes;
}

// The gradient seed that selects output[n, c_n] for every n, and those scores.
Tensor one_hot_seed(const Tensor& out, const ClassList& classes, Tensor& scores) {
  Tensor seed = Tensor::zeros_like(out);
  scores = Tensor::zeros({out.size(0)}, out.dtype());
  for (int64_t n = 0; n < out.size(0); ++n) {
    seed.set({n, classes[n]}, 1.0);
    scores.set({n}, out.at({n, classes[n]}));
  }
  return seed;
}

void check_grad_mode(const char* op) {
  PHYSCNN_CHECK_ARG(autograd::grad_enabled(), op,
                    ": needs gradients, but it was called inside a NoGradGuard scope");
}

}  // namespace

std::vector<LayerOutput> layer_outputs(Module& model, const Tensor& x) {
  check_input(x, "layer_outputs");
  detail::EvalScope eval(model);
  autograd::NoGradGuard no_grad;
  std::vector<LayerOutput> outs;
  detail::ObserverScope observe([&](Module& m, const Var&, const Var& y) {
    if (&m != &model) outs.push_back({m.path(), m.type_name(), m.children().empty(), y.value()});
    return y;
  });
  model(Var(x));
  return outs;
}

Tensor layer_output(Module& model, const Tensor& x, const std::string& path) {
  for (auto& o : layer_outputs(model, x))
    if (o.path == path) return o.value;
  throw UsageError("layer_output: the model has no layer '" + path +
                   "'; its layers are: " + detail::module_paths(model));
}

Tensor saliency(Module& model, const Tensor& x, const ClassList& classes) {
  check_input(x, "saliency");
  check_grad_mode("saliency");
  detail::EvalScope eval(model);
  Var input(x.contiguous().clone(), true);
  Var out = model(input);
  const ClassList cls = resolve_classes(out.value(), classes, "saliency");
  Tensor scores;
  out.backward(one_hot_seed(out.value(), cls, scores));
  // An input the output does not depend on gets no gradient: its saliency is zero.
  return input.grad().defined() ? input.grad() : Tensor::zeros_like(x);
}

ActivationMap class_activation_map(Module& model, const Tensor& x, const ClassList& classes) {
  check_input(x, "class_activation_map");
  detail::EvalScope eval(model);
  autograd::NoGradGuard no_grad;
  // Leaves in execution order; the pooling's input is the feature map A.
  struct Step {
    Module* module;
    Tensor input;
  };
  std::vector<Step> leaves;
  detail::ObserverScope observe([&](Module& m, const Var& in, const Var& y) {
    if (m.children().empty()) leaves.push_back({&m, in.value()});
    return y;
  });
  const Tensor out = model(Var(x)).value();
  int64_t gap = -1;
  for (size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].module->type_name() == "GlobalAvgPool2d") gap = static_cast<int64_t>(i);
  std::string after;
  bool head_ok = gap >= 0 && leaves.back().module->type_name() == "Linear";
  for (size_t i = gap >= 0 ? gap + 1 : leaves.size(); i < leaves.size(); ++i) {
    const std::string t = leaves[i].module->type_name();
    after += (after.empty() ? "" : ", ") + leaves[i].module->path() + " (" + t + ")";
    if (i + 1 < leaves.size() && t != "Flatten" && t != "Dropout") head_ok = false;
  }
  PHYSCNN_CHECK_ARG(
      head_ok, "class_activation_map: CAM needs a head GlobalAvgPool2d [Flatten] Linear, ",
      gap < 0 ? std::string("but the model has no GlobalAvgPool2d")
              : "but after " + leaves[gap].module->path() + " (GlobalAvgPool2d) come: " + after,
      "; use grad_cam for this model");
  const Tensor A = leaves[gap].input.contiguous();  // (N, K, h, w)
  auto* linear = static_cast<Linear*>(leaves.back().module);
  const Tensor W = linear->weight().value().to(DType::F64);  // (classes, K)
  const Tensor b = linear->bias().defined() ? linear->bias().value().to(DType::F64) : Tensor();
  PHYSCNN_CHECK_SHAPE(A.dim() == 4 && W.dim() == 2 && W.size(1) == A.size(1),
                      "class_activation_map: pooled features ", A.shape().str(),
                      " do not match the Linear weight ", W.shape().str());
  ActivationMap r{.layer = leaves[gap].module->path() + ".input", .method = "CAM"};
  r.classes = resolve_classes(out, classes, "class_activation_map");
  const int64_t N = A.size(0), K = A.size(1), h = A.size(2), w = A.size(3);
  const Tensor a = A.to(DType::F64);
  const double* pa = a.data<double>();
  Tensor map = Tensor::zeros({N, h, w}, DType::F64);
  double* pm = map.data<double>();
  r.scores = Tensor::zeros({N}, out.dtype());
  for (int64_t n = 0; n < N; ++n) {
    const int64_t c = r.classes[n];
    const double bias = b.defined() ? b.at({c}) : 0.0;
    for (int64_t p = 0; p < h * w; ++p) {
      double s = bias;
      for (int64_t k = 0; k < K; ++k) s += W.at({c, k}) * pa[(n * K + k) * h * w + p];
      pm[n * h * w + p] = s / static_cast<double>(h * w);
    }
    r.scores.set({n}, out.at({n, c}));
  }
  r.map = map.to(A.dtype());
  return r;
}

ActivationMap grad_cam(Module& model, const Tensor& x, const std::string& layer,
                       const ClassList& classes) {
  check_input(x, "grad_cam");
  check_grad_mode("grad_cam");
  Module* target = nullptr;
  std::string target_path = layer;
  for (const auto& [name, m] : model.named_modules())
    if (layer.empty() ? m->type_name() == "Conv2d" : name == layer) {
      target = m.get();
      target_path = name;
      if (!layer.empty()) break;
    }
  PHYSCNN_CHECK_ARG(target != nullptr, "grad_cam: ",
                    layer.empty() ? std::string("the model has no Conv2d layer")
                                  : "the model has no layer '" + layer + "'",
                    "; its layers are: ", detail::module_paths(model));
  detail::EvalScope eval(model);
  // The tap: the layer's output becomes a leaf that requires a gradient, so the backward stops
  // there and leaves d score / dA in it.
  Var tap;
  detail::ObserverScope observe([&](Module& m, const Var&, const Var& y) {
    if (&m != target || tap.defined()) return y;
    tap = Var(y.value(), true);
    return tap;
  });
  Var out = model(Var(x));
  PHYSCNN_CHECK_ARG(tap.defined(), "grad_cam: layer '", target_path, "' did not run");
  PHYSCNN_CHECK_SHAPE(tap.dim() == 4, "grad_cam: layer '", target_path,
                      "' must give (N, C, H, W) feature maps, got shape ", tap.shape().str());
  ActivationMap r{.layer = target_path, .method = "Grad-CAM"};
  r.classes = resolve_classes(out.value(), classes, "grad_cam");
  if (out.requires_grad())
    out.backward(one_hot_seed(out.value(), r.classes, r.scores));
  else
    one_hot_seed(out.value(), r.classes, r.scores);
  const Tensor A = tap.value();
  const Tensor g = tap.grad().defined() ? tap.grad() : Tensor::zeros_like(A);
  const Tensor alpha = mean(g, {2, 3}, true);             // (N, K, 1, 1)
  r.map = clamp(sum(mul(A, alpha), {1}), 0.0, INFINITY);  // (N, h, w)
  return r;
}

}  // namespace physcnn::nn

// The Module tree: named children, parameters and buffers whose dotted names equal PyTorch's
// state_dict keys, train/eval switching, and error context (a child's ShapeError is rethrown
// prefixed with its path and type, e.g. "features.3 (Conv2d): ..."), and the written contract
// every layer follows (the facts about a layer live in the layer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/shape.hpp"
#include "nn/export.hpp"
#include "nn/layer_keys.hpp"
#include "nn/summary.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::nn {

using autograd::Var;
using StateDict = std::map<std::string, Tensor>;

// Errors rethrown by Module::operator() with the module path in front. They stay ShapeError /
// UsageError for callers; the PathTagged base tells outer modules not to prefix again.
struct PathTagged {
  virtual ~PathTagged() = default;
};
class ModuleShapeError : public ShapeError, public PathTagged {
 public:
  using ShapeError::ShapeError;
};
class ModuleUsageError : public UsageError, public PathTagged {
 public:
  using UsageError::UsageError;
};

// A fresh initialisation stream for layers built without an explicit Rng: seed 0, one stream per
// construction, so a program builds the same weights every run.
Rng default_init_rng();

// ---- The layer contract -------------------------------------------------------------------
// What every layer (a Module that a model file can name) provides, in its own .hpp/.cpp, so that
// adding a layer means adding its files and one line in nn/registry.cpp; the generic test
// tests/nn/layer_contract_test.cpp then checks every point below for it. As dlib's
// EXAMPLE_COMPUTATIONAL_LAYER_:
//
//   class MyLayer : public Module {
//    public:
//     explicit MyLayer(const MyLayerOptions& o, Rng rng = default_init_rng());
//     // (N, ...) -> (N, ...). Shapes are inferred from the first input, never fixed by the
//     // constructor; ShapeError / UsageError with both shapes when the input does not fit.
//     Var forward(const Var& x) override;
//     // PyTorch's class name ("Conv2d"): summary rows and error paths print it.
//     std::string type_name() const override;
//     // Parameters and buffers registered in the constructor (register_parameter /
//     // register_buffer) under PyTorch's state_dict names ("weight", "running_mean"), so that
//     // state_dict() round-trips and loads PyTorch checkpoints. Summary rows and parameter
//     // counts follow from them; override macs() for the summary's multiply-adds.
//     // Why forward couples the samples of a batch in the current mode, or "" when it treats
//     // each on its own. The default says "unknown", which makes train/step.cpp run the whole
//     // batch and name the layer; say "" only when a batch of one gives the same per-sample
//     // output (the generic test checks the claim).
//     std::string batch_coupling() const override;
//     // true when forward can apply a following plain ReLU itself (it asks in_fused_call()
//     // first); Sequential and Graph then call call_with_relu() for the pair (one rule:
//     // fusable_with_relu in nn/container.hpp).
//     bool fuses_with_following_relu() const override;
//     // The model-file keys with their current values (written back as TOML by io).
//     LayerArgs layer_args() const override;
//     // The model-file type, keys, builder and a small example (nn/registry.hpp).
//     static LayerSpec spec();
//     // The operators that compute it in an exported graph (nn/export.hpp, ONNX); the default
//     // refuses, naming the layer.
//     std::string export_graph(GraphSink& g, const ExportValue& x) override;
//   };
// ---------------------------------------------------------------------------------------------

class Module : public std::enable_shared_from_this<Module> {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The layer computation; call it through operator() so errors carry the module path.
  virtual Var forward(const Var& x) = 0;
  Var operator()(const Var& x);
  virtual std::string type_name() const = 0;

  // Dotted path from the root ("" for the root itself), set by the parent on registration.
  const std::string& path() const { return path_; }
  // "features.3 (Conv2d)", or just the type for the root; the prefix of error messages.
  std::string context() const;

  // --- tree ------------------------------------------------------------------------------
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  std::shared_ptr<Module> child(const std::string& name) const;  // UsageError if absent
  // Every module below this one (depth first, in registration order) with its relative name.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();

  // --- parameters and buffers ------------------------------------------------------------
  // Only materialised parameters appear (lazy layers add theirs on their first forward).
  std::vector<std::pair<std::string, Var>> named_parameters() const;
  std::vector<Var> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  int64_t parameter_count() const;  // number of scalar parameters
  // Parameters and buffers by name. The tensors are the live ones (clone to snapshot).
  StateDict state_dict() const;
  // Copies the checkpoint into the model in place (optimizers keep their handles). Lazy slots
  // not yet materialised take the checkpoint tensor. strict: missing and unexpected keys are
  // errors; shape mismatches always are. The error lists every problem it found.
  void load_state_dict(const StateDict& state, bool strict = true);
  void zero_grad();
  // Converts every parameter and buffer to dtype in place (float64 for gradient checks).
  void to(DType dtype);

  // --- facts the layer declares (the contract above) --------------------------------------
  // "" when forward treats every sample of the batch on its own in the current mode, else why
  // not ("normalises with batch statistics in training"). Containers say "" (their children are
  // asked one by one); the default is the refusal for a layer that does not say.
  virtual std::string batch_coupling() const;
  // Whether forward can apply a following ReLU itself, as one fused op.
  virtual bool fuses_with_following_relu() const { return false; }
  // relu(this(x)) as the layer's fused op, through operator() so that errors carry the path.
  // UsageError unless fuses_with_following_relu().
  Var call_with_relu(const Var& x);
  // The layer's model-file keys and their current values; empty for modules that a model file
  // cannot name (containers, zoo models).
  virtual LayerArgs layer_args() const { return {}; }
  // Appends the operators that compute this module on `x` to an exported graph (nn/export.hpp)
  // and returns the name of the value they produce. Runs in evaluation mode. The default refuses
  // with a UsageError naming the layer; nn/export_*.cpp hold the layers' versions.
  virtual std::string export_graph(GraphSink& g, const ExportValue& x);
  // export_graph with the output's shape (one forward on zeros of x.shape, no_grad).
  ExportValue export_value(GraphSink& g, const ExportValue& x);
  // Whether export_graph_folded can absorb `next` into its own operator (a convolution followed
  // by an evaluation-mode batch norm); containers ask when g.fold_batch_norm is set.
  virtual bool export_absorbs(const Module& next) const {
    (void)next;
    return false;
  }
  virtual std::string export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next);

  // --- mode ------------------------------------------------------------------------------
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // --- shapes ----------------------------------------------------------------------------
  // Runs one forward on zeros of (1, input_shape...) under no_grad in evaluation mode, so that
  // lazy layers materialise (create an optimizer after this). Restores the previous modes.
  // Returns the output shape without the batch dimension.
  Shape build(const Shape& input_shape);
  // build() that records one row per leaf layer; format it with format_summary().
  Summary summary(const Shape& input_shape);
  // Multiply-adds per sample of this leaf for the given per-batch input and output shapes.
  virtual int64_t macs(const Shape& input, const Shape& output) const;
  // Own parameters (not the children's) as a count; used by summary rows.
  int64_t own_parameter_count() const;

 protected:
  // Registers a child; its path (and its subtree's) becomes this path + "." + name.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  // Registers a member Var / Tensor slot by address; the module must outlive the registry
  // (modules are held by shared_ptr and never copied). The slot may stay undefined (lazy).
  void register_parameter(const std::string& name, Var* slot);
  void register_buffer(const std::string& name, Tensor* slot);
  // True inside call_with_relu(): forward then runs its fused variant. The mark lives in the
  // calling thread, not in the module, so threads that run the same model at once
  // (train/step.cpp) do not see each other's; forward() asks before it calls anything else.
  bool in_fused_call() const;
  // A leaf parameter that requires a gradient.
  static Var make_parameter(Tensor value) { return Var(std::move(value), true); }
  // DType used when materialising parameters: the first existing parameter's, else float32.
  DType param_dtype() const;

  bool training_ = true;

 private:
  // ShapeError naming this module when an output passes kMaxLayerExtent / kMaxLayerElements.
  void check_output_size(const Shape& y) const;
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void set_path(const std::string& path);
  void collect_slots(const std::string& prefix, std::vector<std::pair<std::string, Var*>>& params,
                     std::vector<std::pair<std::string, Tensor*>>& buffers);

  std::string path_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::map<std::string, size_t> child_index_;  // names of children_: a duplicate check in O(log n)
  std::vector<std::pair<std::string, Var*>> params_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
};

using ModulePtr = std::shared_ptr<Module>;

namespace detail {
// Set by nn/inspect for the duration of one forward: Module::operator() calls it after every
// module's forward with that module's input and output, and what it returns replaces the output
// (feature-map capture; Grad-CAM's gradient tap). Null by default: one thread-local load a call.
using ForwardObserver = std::function<Var(Module&, const Var& input, const Var& output)>;
ForwardObserver*& forward_observer();
// True inside Module::build (a shape pass on a zero batch of one): layers that need more than
// one sample for their statistics (batch norm without running statistics) skip that check.
bool& in_build();
}  // namespace detail

}  // namespace physcnn::nn

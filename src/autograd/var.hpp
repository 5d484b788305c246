// The autograd tape: a Var is a handle to a node holding a value, its gradient and, for op
// results, the inputs and the backward function. backward() sorts the graph topologically and
// sweeps it in reverse; gradients accumulate (+=) into every node that requires them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace physcnn::autograd {

// What a backward function receives and fills: out is the gradient of the op's output; set
// in[i] to the gradient of input i when needs(i) (leave it undefined otherwise).
struct Grads {
  const Tensor& out;
  std::vector<Tensor> in;
  std::vector<bool> needed;
  bool needs(size_t i) const { return needed[i]; }
  // The output gradient as a buffer the backward may overwrite and pass on as an input's
  // gradient (an elementwise backward then needs no new tensor and one memory pass), or an
  // undefined tensor when someone else still holds it. The engine drops out right after.
  Tensor reusable_out() const { return out.sole_owner() && out.is_contiguous() ? out : Tensor(); }
};
using BackwardFn = std::function<void(Grads&)>;

struct Node {
  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  std::string op;  // "leaf" or the op's name, for error messages
  std::vector<std::shared_ptr<Node>> inputs;
  BackwardFn backward;
  int32_t profile_row = -1;  // the profile row its backward is charged to (autograd/profile.hpp)
};

class Var {
 public:
  Var() = default;
  explicit Var(Tensor value, bool requires_grad = false);
  explicit Var(std::shared_ptr<Node> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
  const Tensor& value() const { return node_->value; }
  Tensor& value() { return node_->value; }
  const Tensor& grad() const { return node_->grad; }
  Tensor& grad() { return node_->grad; }
  bool requires_grad() const { return node_ && node_->requires_grad; }
  void set_requires_grad(bool r) { node_->requires_grad = r; }
  const std::string& op() const { return node_->op; }

  const Shape& shape() const { return node_->value.shape(); }
  int64_t dim() const { return node_->value.dim(); }
  int64_t size(int64_t d) const { return node_->value.size(d); }
  int64_t numel() const { return node_->value.numel(); }
  DType dtype() const { return node_->value.dtype(); }
  double item() const { return node_->value.item(); }

  // Backpropagates from this scalar (seed 1) or with an explicit output gradient.
  void backward() const;
  void backward(const Tensor& seed) const;
  void zero_grad();
  Var detach() const { return Var(value(), false); }

  const std::shared_ptr<Node>& node() const { return node_; }

 private:
  std::shared_ptr<Node> node_;
};

// Records an op result. The graph is kept only when grad mode is on and some input requires
// a gradient; otherwise the result is a plain constant.
Var make_op(std::string op, Tensor value, const std::vector<Var>& inputs, BackwardFn backward);

// Per-thread sums of leaf gradients. While a LeafGradSink::Route is alive on a thread, every
// gradient that backward() on that thread delivers to a leaf (a parameter: a node without a
// backward function) is summed in the sink instead of the leaf's .grad. Threads that run
// backward over the same parameters at once (the chunks of one training step, train/step.cpp)
// each route into their own sink; afterwards one thread calls add_to_leaves() sink by sink, in
// a fixed order, so the result does not depend on timing.
class LeafGradSink {
 public:
  class Route {
   public:
    explicit Route(LeafGradSink& sink);
    ~Route();
    Route(const Route&) = delete;
    Route& operator=(const Route&) = delete;

   private:
    LeafGradSink* previous_;
  };
  // leaf.grad += sum, leaves in the order their first gradient arrived; empties the sink.
  void add_to_leaves();

 private:
  friend void route_leaf_gradient(LeafGradSink& sink, const std::shared_ptr<Node>& leaf,
                                  const Tensor& g);
  std::vector<std::pair<std::shared_ptr<Node>, Tensor>> sums_;
};

// "Gradient ready" notifications. While a LeafReadyScope is alive on a thread, backward() on
// that thread calls its function with each leaf (a parameter: a node without a backward
// function) as soon as the sweep has delivered the leaf's last contribution, i.e. once every op
// of this graph that uses the leaf has run its backward. The data-parallel trainer starts the
// all-reduce of a parameter's gradient there, while the backward of earlier layers still runs.
// Leaves the graph does not reach are never reported.
using LeafReadyFn = std::function<void(const std::shared_ptr<Node>& leaf)>;
class LeafReadyScope {
 public:
  explicit LeafReadyScope(const LeafReadyFn* fn);  // null: no notifications in this scope
  ~LeafReadyScope();
  LeafReadyScope(const LeafReadyScope&) = delete;
  LeafReadyScope& operator=(const LeafReadyScope&) = delete;

 private:
  const LeafReadyFn* previous_;
};

// Grad mode: NoGradGuard switches recording off for its scope (evaluation, optimizer steps).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace physcnn::autograd

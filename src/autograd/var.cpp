// Topological backward over the tape, and grad-mode control.
#include "autograd/var.hpp"

#include <unordered_map>
#include <unordered_set>

#include "autograd/profile.hpp"
#include "tensor/ops.hpp"

namespace physcnn::autograd {

namespace {
thread_local bool g_grad_enabled = true;
thread_local LeafGradSink* t_leaf_sink = nullptr;
thread_local const LeafReadyFn* t_leaf_ready = nullptr;

// Nodes reachable from root through recorded ops, inputs before the ops that use them. Owning
// pointers: the sweep frees each op's inputs as it goes, which must not free a pending node.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited{root.get()};
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    const std::shared_ptr<Node> node = stack.back().first;
    const size_t next = stack.back().second++;
    if (next < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next];
      if (child->requires_grad && visited.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

// sum += g, with sum an existing gradient of value's shape or undefined.
void add_gradient(Tensor& sum, const Tensor& g, DType dtype) {
  if (!sum.defined()) {
    sum = g.dtype() == dtype ? g : g.to(dtype);
  } else if (sum.sole_owner() && sum.is_contiguous() && sum.dtype() == g.dtype()) {
    // In place when nobody else holds the buffer: no new tensor, one pass (x + 1*y rounds
    // as x + y, so the result equals the out-of-place sum bit for bit).
    add_(sum, g);
  } else {
    // Out of place: several nodes may hold the very same gradient tensor (add passes its
    // output gradient to both inputs), so an in-place += could change a sibling's gradient.
    sum = add(sum, g);
  }
}

void accumulate(const std::shared_ptr<Node>& node, const Tensor& g, const std::string& from_op) {
  PHYSCNN_CHECK_SHAPE(g.shape() == node->value.shape(), "backward of ", from_op,
                      ": gradient shape ", g.shape().str(), " does not match input shape ",
                      node->value.shape().str(), " (", node->op, ")");
  if (t_leaf_sink && !node->backward)
    route_leaf_gradient(*t_leaf_sink, node, g);
  else
    add_gradient(node->grad, g, node->value.dtype());
}

}  // namespace

Var::Var(Tensor value, bool requires_grad) : node_(std::make_shared<Node>()) {
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
  node_->op = "leaf";
}

void Var::backward() const {
  PHYSCNN_CHECK_SHAPE(numel() == 1, "backward() without a seed needs a scalar, got shape ",
                      shape().str(), " from ", op());
  backward(Tensor::ones(shape(), dtype()));
}

void Var::backward(const Tensor& seed) const {
  PHYSCNN_CHECK(requires_grad(), UsageError,
                "backward() on a value that does not require a gradient (", op(), ")");
  const std::vector<std::shared_ptr<Node>> order = topological_order(node_);
  accumulate(node_, seed, "seed");
  // With a LeafReadyScope: how many ops of this graph still owe each leaf a contribution.
  const LeafReadyFn* ready = t_leaf_ready;
  std::unordered_map<Node*, int> owed;
  if (ready) {
    for (const auto& n : order)
      if (n->backward)
        for (const auto& in : n->inputs)
          if (in->requires_grad && !in->backward) ++owed[in.get()];
    if (!node_->backward) (*ready)(node_);  // backward() on a leaf itself
  }
  NoGradGuard no_grad;
  const bool profiling = profile::active();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    if (!node->backward) continue;  // a leaf: its gradient stays
    if (!node->grad.defined()) {
      // Nothing flows through this op, but its leaves no longer wait for it.
      if (ready)
        for (const auto& in : node->inputs)
          if (in->requires_grad && !in->backward && --owed[in.get()] == 0) (*ready)(in);
      continue;
    }
    const double t0 = profiling ? profile::cpu_seconds() : 0.0;
    Grads g{node->grad, std::vector<Tensor>(node->inputs.size()),
            std::vector<bool>(node->inputs.size())};
    for (size_t i = 0; i < node->inputs.size(); ++i) g.needed[i] = node->inputs[i]->requires_grad;
    node->backward(g);
    for (size_t i = 0; i < node->inputs.size(); ++i)
      if (g.needed[i] && g.in[i].defined()) accumulate(node->inputs[i], g.in[i], node->op);
    if (ready)
      for (const auto& in : node->inputs)
        if (in->requires_grad && !in->backward && --owed[in.get()] == 0) (*ready)(in);
    // Free the intermediate gradient and the graph below: a second backward needs a new forward.
    node->grad = Tensor();
    node->backward = nullptr;
    node->inputs.clear();
    if (profiling) profile::add_backward(node->profile_row, profile::cpu_seconds() - t0);
  }
}

void route_leaf_gradient(LeafGradSink& sink, const std::shared_ptr<Node>& leaf, const Tensor& g) {
  for (auto& [node, sum] : sink.sums_)
    if (node == leaf) return add_gradient(sum, g, leaf->value.dtype());
  sink.sums_.emplace_back(leaf, Tensor());
  add_gradient(sink.sums_.back().second, g, leaf->value.dtype());
}

LeafGradSink::Route::Route(LeafGradSink& sink) : previous_(t_leaf_sink) {
  t_leaf_sink = &sink;
}
LeafGradSink::Route::~Route() {
  t_leaf_sink = previous_;
}

void LeafGradSink::add_to_leaves() {
  for (auto& [leaf, sum] : sums_) add_gradient(leaf->grad, sum, leaf->value.dtype());
  sums_.clear();
}

LeafReadyScope::LeafReadyScope(const LeafReadyFn* fn) : previous_(t_leaf_ready) {
  t_leaf_ready = fn;
}
LeafReadyScope::~LeafReadyScope() {
  t_leaf_ready = previous_;
}

void Var::zero_grad() {
  node_->grad = Tensor();
}

Var make_op(std::string op, Tensor value, const std::vector<Var>& inputs, BackwardFn backward) {
  bool any = false;
  if (g_grad_enabled)
    for (const Var& v : inputs) any = any || v.requires_grad();
  auto node = std::make_shared<Node>();
  node->value = std::move(value);
  node->op = std::move(op);
  if (any) {
    node->requires_grad = true;
    node->backward = std::move(backward);
    for (const Var& v : inputs) node->inputs.push_back(v.node());
    node->profile_row = profile::current_row();
  }
  return Var(node);
}

bool grad_enabled() {
  return g_grad_enabled;
}
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) {
  g_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  g_grad_enabled = previous_;
}

}  // namespace physcnn::autograd

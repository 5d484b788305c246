// Topological backward over the tape, and grad-mode control.
#include "autograd/var.hpp"

#include <unordered_set>

#include "autograd/profile.hpp"
#include "tensor/ops.hpp"

namespace physcnn::autograd {

namespace {
thread_local bool g_grad_enabled = true;

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

void accumulate(Node* node, const Tensor& g, const std::string& from_op) {
  PHYSCNN_CHECK_SHAPE(g.shape() == node->value.shape(), "backward of ", from_op,
                      ": gradient shape ", g.shape().str(), " does not match input shape ",
                      node->value.shape().str(), " (", node->op, ")");
  if (!node->grad.defined()) {
    node->grad = g.dtype() == node->value.dtype() ? g : g.to(node->value.dtype());
  } else if (node->grad.sole_owner() && node->grad.is_contiguous() &&
             node->grad.dtype() == g.dtype()) {
    // In place when nobody else holds the buffer: no new tensor, one pass (x + 1*y rounds
    // as x + y, so the result equals the out-of-place sum bit for bit).
    add_(node->grad, g);
  } else {
    // Out of place: several nodes may hold the very same gradient tensor (add passes its
    // output gradient to both inputs), so an in-place += could change a sibling's gradient.
    node->grad = add(node->grad, g);
  }
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
  accumulate(node_.get(), seed, "seed");
  NoGradGuard no_grad;
  const bool profiling = profile::active();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    if (!node->backward) continue;  // a leaf: its gradient stays
    if (!node->grad.defined()) continue;
    const double t0 = profiling ? profile::cpu_seconds() : 0.0;
    Grads g{node->grad, std::vector<Tensor>(node->inputs.size()),
            std::vector<bool>(node->inputs.size())};
    for (size_t i = 0; i < node->inputs.size(); ++i) g.needed[i] = node->inputs[i]->requires_grad;
    node->backward(g);
    for (size_t i = 0; i < node->inputs.size(); ++i)
      if (g.needed[i] && g.in[i].defined()) accumulate(node->inputs[i].get(), g.in[i], node->op);
    // Free the intermediate gradient and the graph below: a second backward needs a new forward.
    node->grad = Tensor();
    node->backward = nullptr;
    node->inputs.clear();
    if (profiling) profile::add_backward(node->profile_row, profile::cpu_seconds() - t0);
  }
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

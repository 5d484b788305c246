// The optimizer base: the parameters it owns, the gradient step loop, the learning rate, and
// the per-parameter state (moments, momentum buffers, step counts) that checkpoints save.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.hpp"

namespace physcnn::optim {

// Parameters with the names their state is saved under (model code passes state_dict keys
// such as "features.0.weight"; unnamed parameters get their index "0", "1", ... as PyTorch).
using NamedParams = std::vector<std::pair<std::string, autograd::Var>>;
NamedParams index_names(const std::vector<autograd::Var>& params);

// What optimizers and schedules save for a resumed run to continue exactly. Tensors are keyed
// "<param name>.<buffer>" (PyTorch's buffer names: momentum_buffer, exp_avg, exp_avg_sq,
// max_exp_avg_sq, square_avg, grad_avg); scalars hold "lr" and "<param name>.step".
// Hyperparameters other than lr are not saved: they come from the options at construction.
struct State {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, double> scalars;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter whose grad is defined (the others are skipped and keep their
  // state, as PyTorch does for p.grad None). Runs without recording; writes p.value() in place
  // and never writes p.grad(), which may be shared with other nodes.
  void step();
  // Resets every gradient to undefined (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);

  // A deep copy of the state (later steps do not change a saved State).
  State state() const;
  // Restores a state saved by the same kind of optimizer over the same parameter names and
  // shapes. Validates everything before changing anything; unknown, missing or mis-shaped
  // entries are a UsageError naming the entry.
  void load_state(const State& state);

  const std::string& name() const { return name_; }
  const std::vector<autograd::Var>& params() const { return params_; }
  const std::vector<std::string>& param_names() const { return names_; }
  // Steps taken by parameter i (parameters skipped for lack of a grad lag behind).
  int64_t param_steps(size_t i) const { return param_state_.at(i).step; }

 protected:
  // name is the optimizer's name for error messages ("SGD", "Adam", ...).
  Optimizer(std::string name, NamedParams params, double lr);

  // Buffers of one parameter, in the order of buffer_names(); allocated as zeros of the
  // parameter's shape and dtype before its first update.
  struct ParamState {
    int64_t step = 0;  // updates done, including the current one while update() runs
    std::vector<Tensor> buffers;
  };
  // The buffers this configuration keeps per parameter (e.g. {"exp_avg", "exp_avg_sq"}).
  virtual std::vector<std::string> buffer_names() const = 0;
  // Updates elements [lo, hi) of one parameter from its gradient. Both are contiguous with the
  // same shape and dtype; st.step has already been incremented for this update. step() calls
  // it on pieces of all parameters from one parallel loop, so it must be elementwise, must not
  // start threads of its own, and must not throw.
  virtual void update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo,
                      int64_t hi) = 0;

 private:
  std::string name_;
  std::vector<autograd::Var> params_;
  std::vector<std::string> names_;
  std::vector<ParamState> param_state_;
  double lr_ = 0.0;
};

// Elements per parallel chunk for the elementwise update loops: below this a tensor is updated
// by one thread (thread start-up costs more than the memory traffic saved).
inline constexpr int64_t kUpdateGrain = int64_t{1} << 15;

}  // namespace physcnn::optim

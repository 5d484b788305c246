// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, as
// torch.optim.SGD in PyTorch 1.13 (the single-tensor path).
#pragma once

#include <limits>

#include "optim/optimizer.hpp"

namespace physcnn::optim {

struct SgdOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  // required, as in PyTorch
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // L2 penalty added to the gradient
  bool nesterov = false;      // needs momentum > 0 and dampening == 0
  bool maximize = false;
};

// Per element, with d = grad (+ weight_decay * p):
//   buf = d on the first step, else momentum * buf + (1 - dampening) * d
//   d   = d + momentum * buf (Nesterov) or buf
//   p  -= lr * d
// Keeps "momentum_buffer" when momentum != 0.
class Sgd : public Optimizer {
 public:
  Sgd(const std::vector<autograd::Var>& params, const SgdOptions& options);
  Sgd(NamedParams params, const SgdOptions& options);
  const SgdOptions& options() const { return options_; }

 protected:
  std::vector<std::string> buffer_names() const override;
  void update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) override;

 private:
  SgdOptions options_;
};

}  // namespace physcnn::optim

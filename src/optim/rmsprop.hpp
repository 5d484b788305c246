// RMSprop (Hinton's lecture 6e) with optional centering, momentum and L2 weight decay, as
// torch.optim.RMSprop in PyTorch 1.13 (eps added outside the square root).
#pragma once

#include "optim/optimizer.hpp"

namespace physcnn::optim {

struct RmspropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // smoothing of the squared-gradient average
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;  // divide by the estimated variance instead of the raw second moment
  bool maximize = false;
};

// Per element, with d = grad (+ weight_decay * p):
//   sq  = alpha * sq + (1 - alpha) * d^2
//   avg = sqrt(sq - ga^2) + eps with ga = alpha * ga + (1 - alpha) * d (centered),
//         sqrt(sq) + eps otherwise
//   buf = momentum * buf + d / avg; p -= lr * buf   (momentum > 0)
//   p  -= lr * d / avg                                (otherwise)
// Keeps "square_avg", plus "grad_avg" (centered) and "momentum_buffer" (momentum > 0).
class Rmsprop : public Optimizer {
 public:
  Rmsprop(const std::vector<autograd::Var>& params, const RmspropOptions& options = {});
  Rmsprop(NamedParams params, const RmspropOptions& options = {});
  const RmspropOptions& options() const { return options_; }

 protected:
  std::vector<std::string> buffer_names() const override;
  void update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) override;

 private:
  RmspropOptions options_;
};

}  // namespace physcnn::optim

// Adam (Kingma & Ba 2015, with AMSGrad of Reddi et al. 2018) and AdamW (Loshchilov & Hutter
// 2019, decoupled weight decay), as torch.optim.Adam / AdamW in PyTorch 1.13.
#pragma once

#include <array>

#include "optim/optimizer.hpp"

namespace physcnn::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2 penalty added to the gradient (coupled)
  bool amsgrad = false;
  bool maximize = false;
};

// Same fields; weight decay shrinks the parameter directly, p *= 1 - lr * weight_decay,
// before the Adam step, and PyTorch's default is 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

// Per element at step t, with d = grad (+ weight_decay * p for Adam):
//   m = b1 * m + (1 - b1) * d;  v = b2 * v + (1 - b2) * d^2;  (AMSGrad: vmax = max(vmax, v))
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Keeps "exp_avg", "exp_avg_sq", plus "max_exp_avg_sq" with AMSGrad.
class Adam : public Optimizer {
 public:
  Adam(const std::vector<autograd::Var>& params, const AdamOptions& options = {});
  Adam(NamedParams params, const AdamOptions& options = {});
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, NamedParams params, const AdamOptions& options, bool decoupled);
  std::vector<std::string> buffer_names() const override;
  void update(Tensor& param, const Tensor& grad, ParamState& st, int64_t lo, int64_t hi) override;

 private:
  AdamOptions options_;
  bool decoupled_ = false;  // AdamW
};

class AdamW : public Adam {
 public:
  AdamW(const std::vector<autograd::Var>& params, const AdamWOptions& options = {});
  AdamW(NamedParams params, const AdamWOptions& options = {});
};

}  // namespace physcnn::optim

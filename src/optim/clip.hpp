// Gradient clipping over a set of parameters, as torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_ in PyTorch 1.13. Clipped gradients replace p.grad() with new tensors (never
// written in place: the engine may share one gradient tensor between several nodes).
#pragma once

#include <limits>
#include <vector>

#include "autograd/var.hpp"

namespace physcnn::optim {

inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// Returns the norm of all defined gradients taken together as one vector (norm_type p > 0, or
// kInfNorm for the largest magnitude), accumulated in double; 0 when no gradient is defined.
// When max_norm / (total + 1e-6) < 1 every gradient is multiplied by that factor (PyTorch's
// rule: the 1e-6 guards the division, so a total within 1e-6 below max_norm is scaled too).
// A non-finite total (NaN/Inf in some gradient) is returned and the gradients are left
// untouched — PyTorch would multiply them by NaN or 0 — so the caller can skip the step or
// stop; with error_if_nonfinite it is a NumericalError instead.
double clip_grad_norm(const std::vector<autograd::Var>& params, double max_norm,
                      double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps every gradient element to [-clip_value, clip_value] (clip_value >= 0).
void clip_grad_value(const std::vector<autograd::Var>& params, double clip_value);

}  // namespace physcnn::optim

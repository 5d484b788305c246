// Generic gradient check (dlib's test_layer idea): for a random output direction g, compare
// d<g, f(x)>/dx by central differences with backward(g), for every input that requires a
// gradient, sampling at most max_coords coordinates of large inputs. Run it in float64.
// The inputs are perturbed in place and restored, so f may read them through other handles
// (a model's own parameters); their gradients are reset.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/var.hpp"

namespace physcnn::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;  // on |analytic - numeric|
  double rtol = 1e-5;  // relative to max(|analytic|, |numeric|)
  int64_t max_coords = 2000;
  uint64_t seed = 1234;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;
  int64_t coords_checked = 0;
  std::string message;  // the first failures: input index, coordinate, analytic, numeric
};

using GradcheckFn = std::function<Var(const std::vector<Var>&)>;
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Var>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace physcnn::autograd

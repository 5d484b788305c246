// Central-difference gradient check along a random output direction.
#include "autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "tensor/ops.hpp"

namespace physcnn::autograd {

namespace {

// <g, f(inputs)> evaluated without recording a graph.
double projected(const GradcheckFn& f, const std::vector<Var>& inputs, const Tensor& g) {
  NoGradGuard no_grad;
  return dot_all(f(inputs).value(), g);
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Var>& inputs,
                          const GradcheckOptions& opt) {
  GradcheckResult result;
  Rng rng(opt.seed);
  for (const Var& v : inputs)
    PHYSCNN_CHECK_ARG(!v.defined() || !v.requires_grad() || v.dtype() == DType::F64,
                      "gradcheck wants float64 inputs (float32 differences are too noisy)");

  // The inputs themselves are perturbed (and restored), so a model's own parameters can be
  // checked; their previous gradients are cleared first.
  std::vector<Var> leaves = inputs;
  for (Var& v : leaves)
    if (v.defined()) {
      v.zero_grad();
      if (v.requires_grad()) v.value() = v.value().contiguous();
    }
  const Var out = f(leaves);
  const Tensor g = Tensor::uniform(out.shape(), -1.0, 1.0, rng, out.dtype());
  if (out.requires_grad()) out.backward(g);

  std::ostringstream msg;
  int failures = 0;
  for (size_t k = 0; k < leaves.size(); ++k) {
    if (!leaves[k].defined() || !leaves[k].requires_grad()) continue;
    Tensor& x = leaves[k].value();
    const Tensor analytic =
        leaves[k].grad().defined() ? leaves[k].grad().contiguous() : Tensor::zeros_like(x);
    std::vector<int64_t> coords(static_cast<size_t>(x.numel()));
    std::iota(coords.begin(), coords.end(), 0);
    if (x.numel() > opt.max_coords) {
      for (int64_t i = 0; i < opt.max_coords; ++i)
        std::swap(coords[static_cast<size_t>(i)],
                  coords[static_cast<size_t>(i + int64_t(rng.below(uint64_t(x.numel() - i))))]);
      coords.resize(static_cast<size_t>(opt.max_coords));
    }
    double* p = x.data<double>();
    const double* a = analytic.data<double>();
    for (int64_t c : coords) {
      const double saved = p[c];
      p[c] = saved + opt.eps;
      const double fp = projected(f, leaves, g);
      p[c] = saved - opt.eps;
      const double fm = projected(f, leaves, g);
      p[c] = saved;
      const double numeric = (fp - fm) / (2 * opt.eps);
      const double err = std::abs(numeric - a[c]);
      result.max_abs_error = std::max(result.max_abs_error, err);
      ++result.coords_checked;
      if (err > opt.atol + opt.rtol * std::max(std::abs(numeric), std::abs(a[c]))) {
        result.ok = false;
        if (failures++ < 5)
          msg << "input " << k << " " << x.shape().str() << " coordinate " << c << ": analytic "
              << a[c] << ", numeric " << numeric << "\n";
      }
    }
  }
  if (failures) msg << failures << " coordinates out of tolerance";
  result.message = msg.str();
  return result;
}

}  // namespace physcnn::autograd

// The small fixed problem of tools/ref/optim_ref.py, rebuilt with physcnn's autograd, and the
// optimizer configurations the reference script runs (same names, same hyperparameters).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "autograd/functional.hpp"
#include "optim/optim.hpp"
#include "support/fixture.hpp"

namespace physcnn::test {

inline const std::vector<std::string> kParamNames{"W", "b", "c", "u"};

struct Problem {
  Tensor x, t;
  optim::NamedParams params;  // W (4,3), b (4), c (4), u (2) as fresh leaves

  autograd::Var param(const std::string& name) const {
    for (const auto& [n, p] : params)
      if (n == name) return p;
    throw std::runtime_error("no parameter " + name);
  }

  // loss = mean((z - t)^2) + 0.1 * sum(log(1 + exp(z * c))) with z = x W^T + b; the c term is
  // left out on every 4th step, and u is never used.
  autograd::Var loss(int step) const {
    namespace ag = autograd;
    const ag::Var x_var(x), t_var(t);
    const ag::Var z = ag::linear(x_var, param("W"), param("b"));
    ag::Var l = ag::mean(ag::square(ag::sub(z, t_var)));
    if (step % 4 != 3)
      l = ag::add(
          l,
          ag::scale(ag::sum(ag::log(ag::add_scalar(ag::exp(ag::mul(z, param("c"))), 1.0))), 0.1));
    return l;
  }

  // zero_grad, backward, optimizer step: one iteration of the reference loop.
  void iterate(optim::Optimizer& opt, int step) const {
    opt.zero_grad();
    loss(step).backward();
    opt.step();
  }
};

// prefix "" for float64, "f32." for float32 (the fixture stores both).
inline Problem make_problem(const Fixture& f, const std::string& prefix) {
  Problem p{f[prefix + "x"], f[prefix + "t"], {}};
  for (const auto& n : kParamNames)
    p.params.emplace_back(n, autograd::Var(f[prefix + "init." + n].clone(), true));
  return p;
}

using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(optim::NamedParams)>;

inline std::map<std::string, OptimizerFactory> optimizer_configs() {
  using namespace optim;
  auto sgd = [](SgdOptions o) {
    return [o](NamedParams p) { return std::make_unique<Sgd>(std::move(p), o); };
  };
  auto rms = [](RmspropOptions o) {
    return [o](NamedParams p) { return std::make_unique<Rmsprop>(std::move(p), o); };
  };
  auto adam = [](AdamOptions o) {
    return [o](NamedParams p) { return std::make_unique<Adam>(std::move(p), o); };
  };
  auto adamw = [](AdamWOptions o) {
    return [o](NamedParams p) { return std::make_unique<AdamW>(std::move(p), o); };
  };
  return {
      {"sgd_plain", sgd({.lr = 0.1})},
      {"sgd_momentum", sgd({.lr = 0.05, .momentum = 0.9})},
      {"sgd_nesterov", sgd({.lr = 0.05, .momentum = 0.9, .nesterov = true})},
      {"sgd_weight_decay", sgd({.lr = 0.1, .momentum = 0.5, .weight_decay = 0.01})},
      {"sgd_dampening", sgd({.lr = 0.05, .momentum = 0.9, .dampening = 0.3})},
      {"rmsprop_plain", rms({.lr = 0.01})},
      {"rmsprop_centered", rms({.lr = 0.01, .centered = true})},
      {"rmsprop_momentum", rms({.lr = 0.01, .weight_decay = 0.01, .momentum = 0.8})},
      {"adam", adam({.lr = 0.05})},
      {"adam_amsgrad", adam({.lr = 0.05, .weight_decay = 0.01, .amsgrad = true})},
      {"adamw", adamw({.lr = 0.05, .weight_decay = 0.1})},
      {"adamw_amsgrad", adamw({.lr = 0.05, .weight_decay = 0.1, .amsgrad = true})},
  };
}

}  // namespace physcnn::test

// Containers: wiring of children, with shape checks where branches meet.
#include "nn/container.hpp"

#include <typeinfo>

#include "autograd/functional.hpp"
#include "kernels/backend.hpp"
#include "nn/activation.hpp"
#include "nn/summary.hpp"

namespace physcnn::nn {

Sequential::Sequential(std::initializer_list<ModulePtr> layers) {
  for (const auto& m : layers) add(m);
}

Sequential::Sequential(const std::vector<ModulePtr>& layers) {
  for (const auto& m : layers) add(m);
}

Sequential::Sequential(const std::vector<std::pair<std::string, ModulePtr>>& named) {
  for (const auto& [name, m] : named) add(name, m);
}

bool fusable_with_relu(const Module& m, const Module& next) {
  // BatchNorm fuses in training too since batch_norm_backward's mask loops vectorise
  // (bench/NOTES.md "speed2"; before that fix the fused backward made W2 training ~30 % slower).
  if (!kernels::fast_paths().fusion || detail::forward_observer() || detail::summary_recorder())
    return false;
  return m.fuses_with_following_relu() && typeid(next) == typeid(ReLU);
}

Var Sequential::forward(const Var& x) {
  Var y = x;
  const auto& ch = children();
  for (size_t i = 0; i < ch.size(); ++i) {
    if (i + 1 < ch.size()) {
      Module& m = *ch[i].second;
      if (fusable_with_relu(m, *ch[i + 1].second)) {
        y = m.call_with_relu(y);
        ++i;  // the ReLU ran inside m
        continue;
      }
    }
    y = (*ch[i].second)(y);
  }
  return y;
}

Residual::Residual(ModulePtr body, ModulePtr shortcut, ModulePtr post)
    : body_(std::move(body)), shortcut_(std::move(shortcut)), post_(std::move(post)) {
  register_module("body", body_);
  if (shortcut_) register_module("shortcut", shortcut_);
  if (post_) register_module("post", post_);
}

Var Residual::forward(const Var& x) {
  Var main = (*body_)(x);
  Var skip = shortcut_ ? (*shortcut_)(x) : x;
  PHYSCNN_CHECK_SHAPE(main.shape() == skip.shape(), "body output ", main.shape().str(),
                      " and shortcut output ", skip.shape().str(),
                      " differ (give a shortcut that matches the body's stride and channels)");
  Var y = autograd::add(main, skip);
  return post_ ? (*post_)(y) : y;
}

Concat::Concat(const std::vector<ModulePtr>& branches, int64_t dim) : dim_(dim) {
  PHYSCNN_CHECK_ARG(!branches.empty(), "Concat: needs at least one branch");
  for (size_t i = 0; i < branches.size(); ++i) register_module(std::to_string(i), branches[i]);
}

Var Concat::forward(const Var& x) {
  std::vector<Var> parts;
  for (const auto& [_, m] : children()) parts.push_back((*m)(x));
  for (size_t i = 1; i < parts.size(); ++i) {
    const Shape& a = parts[0].shape();
    const Shape& b = parts[i].shape();
    bool ok = a.rank() == b.rank();
    for (int64_t d = 0; ok && d < a.rank(); ++d) ok = d == a.normalize(dim_) || a[d] == b[d];
    PHYSCNN_CHECK_SHAPE(ok, "branch 0 gives ", a.str(), ", branch ", i, " gives ", b.str(),
                        "; they must agree except along dim ", dim_);
  }
  return autograd::concat(parts, dim_);
}

Var concat_skip(const Var& up, const Var& skip) {
  PHYSCNN_CHECK_SHAPE(up.dim() == 4 && skip.dim() == 4 && up.size(0) == skip.size(0) &&
                          up.size(2) == skip.size(2) && up.size(3) == skip.size(3),
                      "skip connection: upsampled ", up.shape().str(), " and skip ",
                      skip.shape().str(), " differ in batch or spatial size");
  return autograd::concat({up, skip}, 1);
}

}  // namespace physcnn::nn

// The optimizer base: parameter bookkeeping, the step loop and state save/restore.
#include "optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/parallel.hpp"

namespace physcnn::optim {

NamedParams index_names(const std::vector<autograd::Var>& params) {
  NamedParams named;
  named.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) named.emplace_back(std::to_string(i), params[i]);
  return named;
}

Optimizer::Optimizer(std::string name, NamedParams params, double lr) : name_(std::move(name)) {
  PHYSCNN_CHECK_ARG(!params.empty(), name_, ": got an empty parameter list");
  std::set<std::string> seen_names;
  std::set<const autograd::Node*> seen_nodes;
  for (auto& [pname, p] : params) {
    PHYSCNN_CHECK_ARG(p.defined(), name_, ": parameter '", pname, "' is an undefined Var");
    PHYSCNN_CHECK_ARG(p.value().defined(), name_, ": parameter '", pname,
                      "' holds an undefined tensor");
    PHYSCNN_CHECK_ARG(p.op() == "leaf", name_, ": parameter '", pname, "' is the result of op '",
                      p.op(), "'; only leaf Vars can be optimized");
    // The update loops write the value buffer directly.
    PHYSCNN_CHECK_ARG(p.value().is_contiguous(), name_, ": parameter '", pname,
                      "' is a non-contiguous view (shape ", p.shape().str(), ")");
    PHYSCNN_CHECK_ARG(seen_names.insert(pname).second, name_, ": parameter name '", pname,
                      "' appears twice");
    PHYSCNN_CHECK_ARG(seen_nodes.insert(p.node().get()).second, name_, ": parameter '", pname,
                      "' is the same Var as an earlier parameter");
    names_.push_back(pname);
    params_.push_back(p);
  }
  param_state_.resize(params_.size());
  set_lr(lr);
}

void Optimizer::set_lr(double lr) {
  PHYSCNN_CHECK_ARG(std::isfinite(lr) && lr >= 0.0, name_, ": lr must be finite and >= 0, got ",
                    lr);
  lr_ = lr;
}

void Optimizer::step() {
  // Check every gradient before touching any parameter, so that a bad one leaves all unchanged.
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    const Tensor& v = params_[i].value();
    PHYSCNN_CHECK_SHAPE(g.shape() == v.shape(), name_, ".step: gradient of '", names_[i],
                        "' has shape ", g.shape().str(), ", parameter has shape ", v.shape().str());
    PHYSCNN_CHECK_ARG(g.dtype() == v.dtype(), name_, ".step: gradient of '", names_[i], "' is ",
                      dtype_name(g.dtype()), ", parameter is ", dtype_name(v.dtype()), " (shape ",
                      v.shape().str(), ")");
  }
  autograd::NoGradGuard no_grad;
  const std::vector<std::string> buffers = buffer_names();
  // All parameters as one flat index space of spans, updated by one parallel loop: a model's
  // many small tensors (biases, norms) then cost no thread start-up each, and the threads get
  // equal shares of elements whatever the tensor sizes (issue 5).
  struct Span {
    size_t param;
    Tensor grad;    // contiguous
    int64_t begin;  // flat index of the first element
  };
  std::vector<Span> spans;
  int64_t total = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    ParamState& st = param_state_[i];
    if (st.buffers.size() != buffers.size()) {
      st.buffers.clear();
      for (size_t b = 0; b < buffers.size(); ++b)
        st.buffers.push_back(Tensor::zeros_like(params_[i].value()));
    }
    ++st.step;
    spans.push_back({i, params_[i].grad().contiguous(), total});
    total += params_[i].numel();
  }
  parallel_for(0, total, kUpdateGrain, [&](int64_t lo, int64_t hi) {
    // The last span starting at or before lo, then every span overlapping [lo, hi).
    auto it = std::upper_bound(spans.begin(), spans.end(), lo,
                               [](int64_t v, const Span& s) { return v < s.begin; });
    for (--it; it != spans.end() && it->begin < hi; ++it) {
      const int64_t n = it->grad.numel();
      const int64_t a = std::max(lo, it->begin) - it->begin;
      const int64_t b = std::min(hi, it->begin + n) - it->begin;
      if (a < b) update(params_[it->param].value(), it->grad, param_state_[it->param], a, b);
    }
  });
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

State Optimizer::state() const {
  State s;
  s.scalars["lr"] = lr_;
  const std::vector<std::string> buffers = buffer_names();
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParamState& st = param_state_[i];
    if (st.step == 0) continue;  // never updated: no state, as in PyTorch
    s.scalars[names_[i] + ".step"] = static_cast<double>(st.step);
    for (size_t b = 0; b < buffers.size() && b < st.buffers.size(); ++b)
      s.tensors[names_[i] + "." + buffers[b]] = st.buffers[b].clone();
  }
  return s;
}

void Optimizer::load_state(const State& s) {
  const std::vector<std::string> buffers = buffer_names();
  // Unknown entries first: they usually mean the state of another optimizer or model.
  std::set<std::string> known_scalars{"lr"}, known_tensors;
  for (const std::string& n : names_) {
    known_scalars.insert(n + ".step");
    for (const std::string& b : buffers) known_tensors.insert(n + "." + b);
  }
  for (const auto& [key, v] : s.scalars)
    PHYSCNN_CHECK_ARG(known_scalars.count(key), name_, ".load_state: unexpected scalar '", key,
                      "' (no such parameter, or the state of another optimizer)");
  for (const auto& [key, t] : s.tensors)
    PHYSCNN_CHECK_ARG(known_tensors.count(key), name_, ".load_state: unexpected tensor '", key,
                      "' (shape ", t.defined() ? t.shape().str() : "undefined",
                      "; no such parameter or buffer, or the state of another optimizer)");
  auto lr_it = s.scalars.find("lr");
  PHYSCNN_CHECK_ARG(lr_it != s.scalars.end(), name_, ".load_state: the state has no 'lr'");
  PHYSCNN_CHECK_ARG(std::isfinite(lr_it->second) && lr_it->second >= 0.0, name_,
                    ".load_state: 'lr' must be finite and >= 0, got ", lr_it->second);

  std::vector<ParamState> loaded(params_.size());
  size_t used_tensors = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string step_key = names_[i] + ".step";
    auto it = s.scalars.find(step_key);
    if (it == s.scalars.end()) continue;  // this parameter was never updated
    const double step = it->second;
    PHYSCNN_CHECK_ARG(step >= 1 && step <= 9.007199254740992e15 && step == std::floor(step), name_,
                      ".load_state: '", step_key, "' must be a positive integer, got ", step);
    loaded[i].step = static_cast<int64_t>(step);
    const Tensor& value = params_[i].value();
    for (const std::string& b : buffers) {
      const std::string key = names_[i] + "." + b;
      auto t = s.tensors.find(key);
      PHYSCNN_CHECK_ARG(t != s.tensors.end(), name_, ".load_state: missing tensor '", key,
                        "' for a parameter that has taken ", step, " steps");
      PHYSCNN_CHECK_SHAPE(t->second.defined() && t->second.shape() == value.shape() &&
                              t->second.dtype() == value.dtype(),
                          name_, ".load_state: '", key, "' has shape ",
                          t->second.defined() ? t->second.shape().str() : "undefined", " ",
                          t->second.defined() ? dtype_name(t->second.dtype()) : "", ", parameter '",
                          names_[i], "' has shape ", value.shape().str(), " ",
                          dtype_name(value.dtype()));
      ++used_tensors;
      loaded[i].buffers.push_back(t->second.clone());  // our own copy: the caller keeps theirs
    }
  }
  PHYSCNN_CHECK_ARG(used_tensors == s.tensors.size(), name_, ".load_state: the state has ",
                    s.tensors.size() - used_tensors,
                    " buffer(s) of parameters without a '<name>.step' entry");
  lr_ = lr_it->second;
  param_state_ = std::move(loaded);
}

}  // namespace physcnn::optim

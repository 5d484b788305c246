// Module tree bookkeeping: registration and paths, recursive parameter/buffer listings with
// PyTorch state_dict names, checkpoint loading with complete error lists, modes, build/summary.
#include "nn/module.hpp"

#include <optional>
#include <set>
#include <sstream>

#include "autograd/profile.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn {

Rng default_init_rng() {
  static std::atomic<uint64_t> next_stream{0};
  return Rng(0, next_stream.fetch_add(1));
}

namespace detail {
std::vector<SummaryRow>*& summary_recorder() {
  thread_local std::vector<SummaryRow>* recorder = nullptr;
  return recorder;
}
ForwardObserver*& forward_observer() {
  thread_local ForwardObserver* observer = nullptr;
  return observer;
}
bool& in_build() {
  thread_local bool building = false;
  return building;
}
}  // namespace detail

namespace {
thread_local const Module* t_fused_call = nullptr;  // the module call_with_relu is running
}  // namespace

Var Module::call_with_relu(const Var& x) {
  PHYSCNN_CHECK_ARG(fuses_with_following_relu(), context(),
                    ": has no fused ReLU variant (fuses_with_following_relu() is false)");
  struct Restore {
    const Module* previous;
    ~Restore() { t_fused_call = previous; }
  } restore{t_fused_call};
  t_fused_call = this;
  return (*this)(x);
}

bool Module::in_fused_call() const {
  return t_fused_call == this;
}

std::string Module::batch_coupling() const {
  return "is not a layer kind known to treat samples independently (it does not override "
         "Module::batch_coupling)";
}

std::string Module::context() const {
  return path_.empty() ? type_name() : path_ + " (" + type_name() + ")";
}

void Module::check_output_size(const Shape& y) const {
  // Dimension 0 is the batch. Channel and spatial extents (outputs of rank 3 and more) are
  // bounded one by one; a flattened output (rank 2) only by its element count.
  int64_t per_sample = 1;
  for (int64_t d = 1; d < y.rank(); ++d) {
    PHYSCNN_CHECK_SHAPE(y.rank() < 3 || y[d] <= kMaxLayerExtent, context(), ": output ", y.str(),
                        " has extent ", y[d], " in dimension ", d, ", more than ", kMaxLayerExtent,
                        " (the limit for a layer output's extent)");
    per_sample *= y[d];
  }
  PHYSCNN_CHECK_SHAPE(per_sample <= kMaxLayerElements, context(), ": output ", y.str(), " has ",
                      per_sample, " elements per sample, more than ", kMaxLayerElements,
                      " (the limit for a layer output)");
}

Var Module::operator()(const Var& x) {
  std::optional<autograd::profile::Scope> timed;
  if (autograd::profile::active()) timed.emplace(context());
  Var y;
  try {
    y = forward(x);
  } catch (const PathTagged&) {
    throw;  // already names the innermost module, which is the useful one
  } catch (const ShapeError& e) {
    throw ModuleShapeError(context() + ": " + e.what());
  } catch (const UsageError& e) {
    throw ModuleUsageError(context() + ": " + e.what());
  }
  check_output_size(y.shape());
  if (auto* observer = detail::forward_observer()) y = (*observer)(*this, x, y);
  if (auto* rows = detail::summary_recorder(); rows && children_.empty()) {
    std::vector<int64_t> out(y.shape().dims().begin() + (y.dim() > 0 ? 1 : 0),
                             y.shape().dims().end());
    rows->push_back({path_.empty() ? std::string("(root)") : path_, type_name(), Shape(out),
                     own_parameter_count(), macs(x.shape(), y.shape())});
  }
  return y;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [n, m] : children_)
    if (n == name) return m;
  throw UsageError(context() + ": no child named '" + name + "'");
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const auto& [name, m] : children_) {
    out.emplace_back(name, m);
    for (auto& [sub, sm] : m->named_modules()) out.emplace_back(name + "." + sub, sm);
  }
  return out;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  PHYSCNN_CHECK_ARG(m != nullptr, context(), ": child '", name, "' is null");
  PHYSCNN_CHECK_ARG(!name.empty() && name.find_first_of("./\\") == std::string::npos, context(),
                    ": child name '", name, "' must be non-empty and contain no '.', '/' or '\\' ",
                    "(names become file names in reports)");
  PHYSCNN_CHECK_ARG(child_index_.emplace(name, children_.size()).second, context(), ": child '",
                    name, "' registered twice");
  children_.emplace_back(name, m);
  m->set_path(path_.empty() ? name : path_ + "." + name);
}

void Module::set_path(const std::string& path) {
  path_ = path;
  for (auto& [name, m] : children_) m->set_path(path_.empty() ? name : path_ + "." + name);
}

void Module::register_parameter(const std::string& name, Var* slot) {
  params_.emplace_back(name, slot);
}

void Module::register_buffer(const std::string& name, Tensor* slot) {
  buffers_.emplace_back(name, slot);
}

void Module::collect_slots(const std::string& prefix,
                           std::vector<std::pair<std::string, Var*>>& params,
                           std::vector<std::pair<std::string, Tensor*>>& buffers) {
  for (auto& [name, slot] : params_) params.emplace_back(prefix + name, slot);
  for (auto& [name, slot] : buffers_) buffers.emplace_back(prefix + name, slot);
  for (auto& [name, m] : children_) m->collect_slots(prefix + name + ".", params, buffers);
}

std::vector<std::pair<std::string, Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Var*>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  const_cast<Module*>(this)->collect_slots("", params, buffers);
  std::vector<std::pair<std::string, Var>> out;
  for (auto& [name, slot] : params)
    if (slot->defined()) out.emplace_back(name, *slot);
  return out;
}

std::vector<Var> Module::parameters() const {
  std::vector<Var> out;
  for (auto& [_, v] : named_parameters()) out.push_back(v);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Var*>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  const_cast<Module*>(this)->collect_slots("", params, buffers);
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& [name, slot] : buffers)
    if (slot->defined()) out.emplace_back(name, *slot);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (auto& [_, v] : named_parameters()) n += v.numel();
  return n;
}

int64_t Module::own_parameter_count() const {
  int64_t n = 0;
  for (auto& [_, slot] : params_)
    if (slot->defined()) n += slot->numel();
  return n;
}

StateDict Module::state_dict() const {
  StateDict out;
  for (auto& [name, v] : named_parameters()) out[name] = v.value();
  for (auto& [name, t] : named_buffers()) out[name] = t;
  return out;
}

namespace {
// BatchNorm's batch counter: PyTorch 1.13 (BatchNorm._load_from_state_dict) sets it to 0 when a
// state_dict lacks it (older files, hand-made dicts), so a missing one is not an error.
bool defaults_when_missing(const std::string& name) {
  return name == "num_batches_tracked" || name.ends_with(".num_batches_tracked");
}
}  // namespace

void Module::load_state_dict(const StateDict& state, bool strict) {
  std::vector<std::pair<std::string, Var*>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  collect_slots("", params, buffers);
  std::vector<std::string> missing, mismatched;
  std::set<std::string> known;
  // First pass: find every problem, so that a failed load leaves the model untouched.
  auto check = [&](const std::string& name, const Tensor* current) {
    known.insert(name);
    auto it = state.find(name);
    if (it == state.end()) {
      if (!defaults_when_missing(name)) missing.push_back(name);
    } else if (current && current->defined() && !(it->second.shape() == current->shape())) {
      mismatched.push_back(name + ": checkpoint has " + it->second.shape().str() + ", model has " +
                           current->shape().str());
    }
  };
  for (auto& [name, slot] : params) check(name, slot->defined() ? &slot->value() : nullptr);
  for (auto& [name, slot] : buffers) check(name, slot);
  std::vector<std::string> unexpected;
  for (const auto& [name, _] : state)
    if (!known.count(name)) unexpected.push_back(name);

  const bool fail = !mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()));
  if (fail) {
    std::ostringstream os;
    os << "load_state_dict into " << context() << ":";
    auto list = [&os](const char* what, const std::vector<std::string>& items) {
      if (items.empty()) return;
      os << " " << what << " (" << items.size() << "):";
      for (const auto& s : items) os << " " << s << ";";
    };
    list("shape mismatch", mismatched);
    if (strict) {
      list("missing keys", missing);
      list("unexpected keys", unexpected);
    }
    throw UsageError(os.str());
  }
  for (auto& [name, slot] : params) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    if (slot->defined()) {
      slot->value().copy_(it->second);
    } else {
      *slot = make_parameter(it->second.contiguous().clone());
    }
  }
  for (auto& [name, slot] : buffers) {
    auto it = state.find(name);
    if (it == state.end()) {
      if (defaults_when_missing(name))
        *slot = Tensor::scalar(0.0, slot->defined() ? slot->dtype() : DType::F32);
      continue;
    }
    if (slot->defined())
      slot->copy_(it->second);
    else
      *slot = it->second.contiguous().clone();
  }
}

void Module::zero_grad() {
  for (Var& v : parameters()) v.zero_grad();
}

void Module::to(DType dtype) {
  std::vector<std::pair<std::string, Var*>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  collect_slots("", params, buffers);
  // In place on the node so that handles held elsewhere (optimizers) see the new value.
  for (auto& [_, slot] : params)
    if (slot->defined() && slot->dtype() != dtype) {
      slot->value() = slot->value().to(dtype);
      slot->zero_grad();
    }
  for (auto& [_, slot] : buffers)
    if (slot->defined() && slot->dtype() != dtype) *slot = slot->to(dtype);
}

DType Module::param_dtype() const {
  for (auto& [_, slot] : params_)
    if (slot->defined()) return slot->dtype();
  return DType::F32;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, m] : children_) m->train(on);
}

int64_t Module::macs(const Shape&, const Shape&) const {
  return 0;
}

namespace {
// Saves every module's training flag and restores it on scope exit.
class ModeRestorer {
 public:
  explicit ModeRestorer(Module& root) {
    modes_.emplace_back(&root, root.is_training());
    for (auto& [_, m] : root.named_modules()) modes_.emplace_back(m.get(), m->is_training());
  }
  ~ModeRestorer() {
    // Pre-order: a parent's recursive train() runs before its descendants' own flags.
    for (auto& [m, on] : modes_) m->train(on);
  }

 private:
  std::vector<std::pair<Module*, bool>> modes_;
};

DType first_dtype(const Module& m) {
  for (auto& [_, v] : m.named_parameters()) return v.dtype();
  return DType::F32;
}
}  // namespace

Shape Module::build(const Shape& input_shape) {
  std::vector<int64_t> dims{1};
  for (int64_t d : input_shape) dims.push_back(d);
  ModeRestorer restore(*this);
  eval();
  autograd::NoGradGuard no_grad;
  struct BuildFlag {
    bool previous = detail::in_build();
    BuildFlag() { detail::in_build() = true; }
    ~BuildFlag() { detail::in_build() = previous; }
  } flag;
  Var y = (*this)(Var(Tensor::zeros(Shape(dims), first_dtype(*this))));
  return Shape(std::vector<int64_t>(y.shape().dims().begin() + 1, y.shape().dims().end()));
}

Summary Module::summary(const Shape& input_shape) {
  Summary s;
  s.input = input_shape;
  auto*& recorder = detail::summary_recorder();
  std::vector<SummaryRow>* previous = recorder;
  recorder = &s.rows;
  try {
    s.output = build(input_shape);
  } catch (...) {
    recorder = previous;
    throw;
  }
  recorder = previous;
  for (auto& [_, v] : named_parameters()) {
    s.total_params += v.numel();
    if (v.requires_grad()) s.trainable_params += v.numel();
  }
  for (const auto& r : s.rows) s.total_macs += r.macs;
  return s;
}

}  // namespace physcnn::nn

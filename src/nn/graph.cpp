// Graph: forward over the nodes in order, keeping each output only until its last reader has run.
#include "nn/graph.hpp"

#include "autograd/functional.hpp"
#include "nn/container.hpp"

namespace physcnn::nn {

namespace {
const char* merge_name(Merge m) {
  return m == Merge::Add ? "Add" : "Concat";
}
}  // namespace

// Node j and the next node run as one fused op when the next node is j's only reader (so j's own
// value is never needed) and the pair passes Sequential's rule, fusable_with_relu.
bool Graph::fuses_with_next(size_t j, const std::vector<size_t>& last_use) const {
  if (j + 1 >= nodes_.size() || !nodes_[j].module || !nodes_[j + 1].module) return false;
  if (nodes_[j + 1].inputs[0] != static_cast<int>(j) || last_use[j] != j + 1) return false;
  return fusable_with_relu(*nodes_[j].module, *nodes_[j + 1].module);
}

int Graph::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::string> Graph::node_names() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) out.push_back(n.name);
  return out;
}

std::vector<Graph::NodeView> Graph::nodes() const {
  std::vector<NodeView> out;
  for (const auto& n : nodes_) {
    NodeView v{n.name, n.module, n.merge, {}};
    for (int i : n.inputs) v.inputs.push_back(i < 0 ? std::string(kInput) : nodes_[size_t(i)].name);
    out.push_back(std::move(v));
  }
  return out;
}

std::string Graph::next_name(const std::string& name) const {
  std::string n = name.empty() ? std::to_string(nodes_.size()) : name;
  PHYSCNN_CHECK_ARG(n != kInput, context(), ": 'input' is reserved for the graph's input");
  PHYSCNN_CHECK_ARG(n.find('.') == std::string::npos, context(), ": node name '", n,
                    "' must not contain '.'");
  PHYSCNN_CHECK_ARG(find(n) < 0, context(), ": node name '", n, "' is used twice");
  return n;
}

int Graph::resolve(const std::string& ref, const std::string& node) const {
  if (ref == kInput) return -1;
  int i = find(ref);
  PHYSCNN_CHECK_ARG(i >= 0, context(), ": node '", node, "' reads '", ref,
                    "', which is not an earlier node (nodes so far: ",
                    nodes_.empty() ? std::string("none") : [&] {
                      std::string s;
                      for (const auto& n : nodes_) s += (s.empty() ? "" : ", ") + n.name;
                      return s;
                    }(),
                    ")");
  return i;
}

std::string Graph::add(ModulePtr m, const std::string& name, const std::string& input) {
  PHYSCNN_CHECK_ARG(m != nullptr, context(), ": node '", name, "' has no module");
  std::string n = next_name(name);
  int from = input.empty() ? static_cast<int>(nodes_.size()) - 1 : resolve(input, n);
  register_module(n, m);
  index_.emplace(n, static_cast<int>(nodes_.size()));
  nodes_.push_back({n, std::move(m), Merge::Add, {from}});
  return n;
}

std::string Graph::add_merge(Merge kind, const std::vector<std::string>& inputs,
                             const std::string& name) {
  std::string n = next_name(name);
  PHYSCNN_CHECK_ARG(inputs.size() >= 2, context(), ": ", merge_name(kind), " node '", n,
                    "' needs at least two inputs, got ", inputs.size());
  std::vector<int> from;
  for (const auto& ref : inputs) from.push_back(resolve(ref, n));
  index_.emplace(n, static_cast<int>(nodes_.size()));
  nodes_.push_back({n, nullptr, kind, from});
  return n;
}

Var Graph::run_merge(const Node& node, const std::vector<Var>& in) const {
  auto name_of = [&](size_t k) {
    int i = node.inputs[k];
    return i < 0 ? std::string(kInput) : nodes_[size_t(i)].name;
  };
  const Shape& first = in[0].shape();
  for (size_t k = 1; k < in.size(); ++k) {
    const Shape& s = in[k].shape();
    if (node.merge == Merge::Add) {
      PHYSCNN_CHECK_SHAPE(s == first, "adds '", name_of(0), "' ", first.str(), " and '", name_of(k),
                          "' ", s.str(), ", which differ (residual branches must ",
                          "keep the shape; give the shortcut the body's stride and channels)");
    } else {
      bool ok = s.rank() == first.rank() && first.rank() >= 2 && s[0] == first[0];
      for (int64_t d = 2; ok && d < first.rank(); ++d) ok = s[d] == first[d];
      PHYSCNN_CHECK_SHAPE(ok, "concatenates '", name_of(0), "' ", first.str(), " and '", name_of(k),
                          "' ", s.str(),
                          " along channels, but they differ in batch or spatial size");
    }
  }
  if (node.merge == Merge::Concat) {
    // Checked before allocating: a node concatenating its predecessor with itself doubles the
    // channels, and 22 such nodes asked for gigabytes.
    int64_t channels = 0;
    for (const Var& v : in) channels += v.shape()[1];
    PHYSCNN_CHECK_SHAPE(channels <= kMaxLayerExtent, "concatenates ", in.size(), " inputs to ",
                        channels, " channels, more than ", kMaxLayerExtent,
                        " (the limit for a layer output's extent)");
    return autograd::concat(in, 1);
  }
  Var y = autograd::add(in[0], in[1]);
  for (size_t k = 2; k < in.size(); ++k) y = autograd::add(y, in[k]);
  return y;
}

Var Graph::forward(const Var& x) {
  PHYSCNN_CHECK_ARG(!nodes_.empty(), "the graph has no nodes");
  // last_use[i]: the last node reading node i's output, so intermediates are freed early.
  std::vector<size_t> last_use(nodes_.size(), 0);
  for (size_t j = 0; j < nodes_.size(); ++j)
    for (int i : nodes_[j].inputs)
      if (i >= 0) last_use[size_t(i)] = j;
  std::vector<Var> out(nodes_.size());
  auto value = [&](int i) -> const Var& { return i < 0 ? x : out[size_t(i)]; };
  auto release_inputs = [&](size_t j) {
    for (int i : nodes_[j].inputs)
      if (i >= 0 && last_use[size_t(i)] == j && size_t(i) + 1 != nodes_.size())
        out[size_t(i)] = Var();
  };
  for (size_t j = 0; j < nodes_.size(); ++j) {
    const Node& node = nodes_[j];
    if (fuses_with_next(j, last_use)) {
      out[j + 1] = node.module->call_with_relu(value(node.inputs[0]));
      release_inputs(j);
      ++j;  // the ReLU ran inside node j's module
      continue;
    }
    if (node.module) {
      out[j] = (*node.module)(value(node.inputs[0]));
    } else {
      std::vector<Var> in;
      for (int i : node.inputs) in.push_back(value(i));
      const std::string where = path().empty() ? node.name : path() + "." + node.name;
      try {
        out[j] = run_merge(node, in);
      } catch (const ShapeError& e) {
        throw ModuleShapeError(where + " (" + merge_name(node.merge) + "): " + e.what());
      }
      if (auto* rows = detail::summary_recorder()) {
        const auto& d = out[j].shape().dims();
        rows->push_back({where, merge_name(node.merge),
                         Shape(std::vector<int64_t>(d.begin() + 1, d.end())), 0, 0});
      }
    }
    release_inputs(j);
  }
  return out.back();
}

}  // namespace physcnn::nn

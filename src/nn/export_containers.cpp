// export_graph of the containers (Sequential, Residual, Concat, Graph) and the zoo's U-Net: their
// children's operators wired as in forward, with Add / Concat for the merges. A convolution
// followed by an evaluation-mode batch norm becomes one Conv when GraphSink::fold_batch_norm.
#include "nn/container.hpp"
#include "nn/export_ops.hpp"
#include "nn/graph.hpp"
#include "nn/models/models.hpp"

namespace physcnn::nn {

namespace ex = exporting;

namespace {

// Runs m, folding `next` into it when allowed; returns the value after both (folded) or after m.
ExportValue export_pair(GraphSink& g, Module& m, Module* next, const ExportValue& x, bool* folded) {
  *folded = next && g.fold_batch_norm && m.export_absorbs(*next);
  if (!*folded) return m.export_value(g, x);
  // The folded pair keeps m's output shape (a batch norm keeps its input's).
  std::vector<int64_t> in(x.shape.dims().begin() + 1, x.shape.dims().end()), out{1};
  for (int64_t d : m.build(Shape(in))) out.push_back(d);
  return {m.export_graph_folded(g, x, *next), Shape(out)};
}

ExportValue concat_values(GraphSink& g, const std::vector<ExportValue>& parts, int64_t dim,
                          const std::string& name) {
  std::vector<std::string> names;
  Shape shape = parts[0].shape;
  const int64_t axis = shape.normalize(dim);
  shape[axis] = 0;
  for (const auto& p : parts) {
    names.push_back(p.name);
    shape[axis] += p.shape[axis];
  }
  return {g.node("Concat", names, {{"axis", axis}}, name), shape};
}

}  // namespace

std::string Sequential::export_graph(GraphSink& g, const ExportValue& x) {
  ExportValue cur = x;
  const auto& kids = children();
  for (size_t i = 0; i < kids.size(); ++i) {
    Module* next = i + 1 < kids.size() ? kids[i + 1].second.get() : nullptr;
    bool folded = false;
    cur = export_pair(g, *kids[i].second, next, cur, &folded);
    if (folded) ++i;
  }
  return cur.name;
}

std::string Residual::export_graph(GraphSink& g, const ExportValue& x) {
  const ExportValue main = body_->export_value(g, x);
  const ExportValue skip = shortcut_ ? shortcut_->export_value(g, x) : x;
  const ExportValue sum{g.node("Add", {main.name, skip.name}, {}, ex::hint(*this, "add")),
                        main.shape};
  return post_ ? post_->export_graph(g, sum) : sum.name;
}

std::string Concat::export_graph(GraphSink& g, const ExportValue& x) {
  std::vector<ExportValue> parts;
  for (const auto& [_, m] : children()) parts.push_back(m->export_value(g, x));
  return concat_values(g, parts, dim_, ex::hint(*this)).name;
}

std::string Graph::export_graph(GraphSink& g, const ExportValue& x) {
  PHYSCNN_CHECK_ARG(!nodes_.empty(), "the graph has no nodes");
  std::vector<int> readers(nodes_.size(), 0);
  for (const auto& n : nodes_)
    for (int i : n.inputs)
      if (i >= 0) ++readers[size_t(i)];
  std::vector<ExportValue> out(nodes_.size());
  auto value = [&](int i) -> const ExportValue& { return i < 0 ? x : out[size_t(i)]; };
  for (size_t j = 0; j < nodes_.size(); ++j) {
    const Node& node = nodes_[j];
    if (!node.module) {
      std::vector<ExportValue> in;
      for (int i : node.inputs) in.push_back(value(i));
      const std::string name = ex::hint(*this, node.name);
      if (node.merge == Merge::Concat) {
        out[j] = concat_values(g, in, 1, name);
      } else {
        std::string sum = in[0].name;
        for (size_t k = 1; k < in.size(); ++k)
          sum = g.node("Add", {sum, in[k].name}, {}, k + 1 == in.size() ? name : name + ".part");
        out[j] = {sum, in[0].shape};
      }
      continue;
    }
    // A batch norm that only reads this node, and is its only reader, can fold into it.
    Module* next = nullptr;
    if (j + 1 < nodes_.size() && nodes_[j + 1].module && readers[j] == 1 &&
        nodes_[j + 1].inputs == std::vector<int>{int(j)})
      next = nodes_[j + 1].module.get();
    bool folded = false;
    out[j] = export_pair(g, *node.module, next, value(node.inputs[0]), &folded);
    if (folded) {
      out[j + 1] = out[j];
      ++j;
    }
  }
  return out.back().name;
}

std::string models::UNetSmall::export_graph(GraphSink& g, const ExportValue& x) {
  const ExportValue s1 = enc1_->export_value(g, x);
  const ExportValue s2 = enc2_->export_value(g, pool_->export_value(g, s1));
  const ExportValue b = bottleneck_->export_value(g, pool_->export_value(g, s2));
  const ExportValue d2 = dec2_->export_value(
      g, concat_values(g, {up2_->export_value(g, b), s2}, 1, ex::hint(*this, "skip2")));
  const ExportValue d1 = dec1_->export_value(
      g, concat_values(g, {up1_->export_value(g, d2), s1}, 1, ex::hint(*this, "skip1")));
  return head_->export_graph(g, d1);
}

}  // namespace physcnn::nn

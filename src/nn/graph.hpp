// Graph: modules in order, each reading the previous node's output or a named node's, plus merge
// nodes (add for residual connections, concat along channels for U-Net skips). The container
// behind model files; a plain chain has exactly nn::Sequential's children and state_dict keys.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace physcnn::nn {

// How a merge node joins its inputs: Add sums tensors of one shape; Concat joins (N,C,...) tensors
// along channels (every other dimension must agree).
enum class Merge { Add, Concat };

class Graph : public Module {
 public:
  // The name that refers to the graph's own input in `inputs`.
  static constexpr const char* kInput = "input";

  // Appends a module node and registers the module as a child under `name`, or under the node's
  // index ("0", "1", ...) when name is empty. `input` names the node it reads (a node name or
  // "input"); empty reads the previous node (the graph input for the first node). Returns the
  // node's name. UsageError for a duplicate name or an unknown input.
  std::string add(ModulePtr m, const std::string& name = "", const std::string& input = "");
  // Appends a merge node of two or more named inputs; it has no parameters and registers no
  // child, but it takes an index like any node and shows as a summary row ("Add", "Concat").
  std::string add_merge(Merge kind, const std::vector<std::string>& inputs,
                        const std::string& name = "");

  size_t size() const { return nodes_.size(); }
  // A node as a writer sees it (io writes model files back): its name, its module (null for a
  // merge), the merge kind, and the names of the nodes it reads (kInput for the graph's input).
  struct NodeView {
    std::string name;
    ModulePtr module;
    Merge merge = Merge::Add;
    std::vector<std::string> inputs;
  };
  std::vector<NodeView> nodes() const;
  bool has_node(const std::string& name) const { return find(name) >= 0; }
  std::vector<std::string> node_names() const;

  Var forward(const Var& x) override;
  std::string type_name() const override { return "Graph"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  std::string batch_coupling() const override { return ""; }

 private:
  struct Node {
    std::string name;
    ModulePtr module;  // null for a merge
    Merge merge = Merge::Add;
    std::vector<int> inputs;  // node indices; -1 = the graph input
  };
  int find(const std::string& name) const;  // -1 when absent
  std::string next_name(const std::string& name) const;
  int resolve(const std::string& ref, const std::string& node) const;
  Var run_merge(const Node& node, const std::vector<Var>& in) const;
  bool fuses_with_next(size_t j, const std::vector<size_t>& last_use) const;

  std::vector<Node> nodes_;
  std::map<std::string, int> index_;  // node name -> position in nodes_ (find in O(log n))
};

}  // namespace physcnn::nn

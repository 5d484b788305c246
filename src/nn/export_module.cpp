// The export hooks' defaults (nn/export.hpp): a module that does not say how it is computed by
// standard operators is refused by name.
#include <vector>

#include "nn/module.hpp"

namespace physcnn::nn {

std::string Module::export_graph(GraphSink&, const ExportValue&) {
  throw ModuleUsageError(context() + ": cannot be exported: " + type_name() +
                         " has no export_graph (no standard operators are known for it)");
}

std::string Module::export_graph_folded(GraphSink&, const ExportValue&, const Module& next) {
  throw ModuleUsageError(context() + ": cannot absorb the following " + next.type_name() +
                         " on export");
}

ExportValue Module::export_value(GraphSink& g, const ExportValue& x) {
  std::string name = export_graph(g, x);
  std::vector<int64_t> in(x.shape.dims().begin() + 1, x.shape.dims().end());
  const Shape out = build(Shape(in));
  std::vector<int64_t> dims{1};
  for (int64_t d : out) dims.push_back(d);
  return {std::move(name), Shape(dims)};
}

}  // namespace physcnn::nn

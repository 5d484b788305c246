// Models of the zoo by name, with their natural input shapes, for summary/gradcheck/bench.
#pragma once

#include <string>
#include <vector>

#include "nn/module.hpp"

namespace physcnn::cli {

struct ZooEntry {
  std::string name;
  Shape input;  // without the batch dimension
  std::string description;
};
const std::vector<ZooEntry>& zoo();
// The named model built with seed; UsageError listing the names when unknown.
nn::ModulePtr make_zoo_model(const std::string& name, uint64_t seed,
                             const ZooEntry** entry = nullptr);

}  // namespace physcnn::cli

// Models of the zoo by name, with their natural input shapes, for summary/gradcheck/bench; and
// resolve_model, which also accepts a TOML model file (docs/model_files.md).
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

struct ResolvedModel {
  nn::ModulePtr model;  // built on `input` (lazy layers materialised)
  Shape input;          // without the batch: the zoo entry's or the model file's
  std::string name;     // the zoo name or the model file's `name`
  std::string description;
};
// A zoo name, or a model file: any argument ending in ".toml" or naming an existing file. Errors:
// UsageError for an unknown name (with the nearest zoo name), IoError for an unreadable file,
// the model file's errors as they are.
ResolvedModel resolve_model(const std::string& name_or_path, uint64_t seed = 0);

}  // namespace physcnn::cli

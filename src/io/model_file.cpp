// Model files: [[layer]] tables read as the keys each layer declares (nn/registry.hpp), and the
// wiring of named nodes and blocks into an nn::Graph, built on the declared input so misfits
// surface at load.
#include "io/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "io/toml_util.hpp"
#include "nn/nn.hpp"
#include "nn/registry.hpp"

namespace physcnn::io {

namespace {

using nn::ModulePtr;

// The limit for a size in a model file: out = 10^12 or kernel = 10^9 are typos or hostile files,
// refused here with the line before a constructor tries to allocate terabytes.
constexpr int64_t kMaxSize = kMaxLayerExtent;  // core/shape.hpp

int64_t bounded(const toml::node& n, const nn::LayerKey& key, int64_t v, const std::string& ctx) {
  if (v > kMaxSize)
    throw_at(n, ctx,
             key.name + " = " + std::to_string(v) + " is larger than " + std::to_string(kMaxSize) +
                 ", the limit for a size in a model file");
  return v;
}

// A number key's value: nan and inf are refused (TOML writes them `nan`, `inf`), since no layer
// means anything by them and they would only surface later as a NaN loss.
double finite(const toml::node& n, const nn::LayerKey& key, double v, const std::string& ctx) {
  if (!std::isfinite(v))
    throw_at(n, ctx, key.name + " = " + std::to_string(v) + " is not a finite number");
  return v;
}

// One key's TOML value read as the layer declares it (nn::LayerKey), every error with its line.
nn::KeyValue read_key(const toml::node& n, const nn::LayerKey& key, const std::string& ctx) {
  using nn::KeyKind;
  const auto type_error = [&] { throw_type_error(n, key.name, nn::key_expectation(key), ctx); };
  if (n.is_string() && !key.choices.empty()) {
    const std::string s = n.as_string()->get();
    for (const auto& c : key.choices)
      if (c == s) return s;
    throw_at(n, ctx,
             key.name + " \"" + s + "\" is not " + nn::key_expectation(key) +
                 did_you_mean(s, key.choices));
  }
  const bool listed = (key.kind == KeyKind::Ints || key.kind == KeyKind::Numbers);
  if (const auto* a = n.as_array(); a && listed) {
    if (std::find(key.lengths.begin(), key.lengths.end(), a->size()) == key.lengths.end())
      type_error();
    if (key.kind == KeyKind::Ints) {
      if (!a->is_homogeneous<int64_t>()) type_error();
      std::vector<int64_t> out;
      for (const auto& e : *a) out.push_back(bounded(n, key, e.as_integer()->get(), ctx));
      return out;
    }
    std::vector<double> out;
    for (const auto& e : *a) {
      if (!e.is_number()) type_error();
      out.push_back(finite(n, key, e.value<double>().value(), ctx));
    }
    return out;
  }
  switch (key.kind) {
    case KeyKind::Int:
    case KeyKind::Ints:
      if (n.is_integer()) return bounded(n, key, n.as_integer()->get(), ctx);
      break;
    case KeyKind::Number:
    case KeyKind::Numbers:
      if (n.is_number()) return finite(n, key, n.value<double>().value(), ctx);
      break;
    case KeyKind::Bool:
      if (n.is_boolean()) return n.as_boolean()->get();
      break;
    case KeyKind::Choice:
      break;
  }
  type_error();
  return {};
}

// A [[layer]] table as the layer's key/value map; check_keys has refused unknown keys already.
nn::LayerArgs read_layer_args(const toml::table& t, const nn::LayerSpec& spec,
                              const std::string& ctx) {
  nn::LayerArgs args;
  for (const auto& key : spec.keys) {
    if (const toml::node* n = t.get(key.name))
      args[key.name] = read_key(*n, key, ctx);
    else if (key.required)
      require_string(t, key.name, ctx);  // absent: throws "missing required key", with the line
  }
  return args;
}

const std::vector<std::string> kCommonKeys{"type", "name", "input", "block"};

std::string file_stem(const std::string& source) {
  return std::filesystem::path(source).stem().string();
}

// One [[layer]] entry's identity, collected before building so that references to later layers
// and names inside blocks get precise messages.
struct Entry {
  const toml::table* t = nullptr;
  std::string type, name, block, where, ctx;  // where = "FILE:LINE"
};

// Builds the graph entry by entry, tracking the open block.
class Assembler {
 public:
  Assembler(const std::vector<Entry>& entries, uint64_t seed)
      : entries_(entries), base_(seed, 0x544f4d4cULL) {}  // stream tag "TOML"

  std::shared_ptr<nn::Graph> run() {
    for (size_t k = 0; k < entries_.size(); ++k) add(k);
    return graph_;
  }
  // Module path (as error messages print it) -> "FILE:LINE: [[layer]] k (type)".
  const std::map<std::string, std::string>& locations() const { return locations_; }

 private:
  [[noreturn]] void fail(const Entry& e, const std::string& msg) const {
    throw TomlError(e.where + ": " + e.ctx + ": " + msg);
  }

  // A reference in `input` / `inputs` -> the graph node name it denotes.
  std::string resolve(const Entry& e, size_t k, const std::string& ref) const {
    if (ref == nn::Graph::kInput || graph_->has_node(ref)) return ref;
    for (size_t j = 0; j < entries_.size(); ++j) {
      const Entry& o = entries_[j];
      if (o.name == ref && !o.block.empty())
        fail(e, "reads '" + ref + "', a layer inside block '" + o.block +
                    "'; only a whole block can be read (write input = \"" + o.block + "\")");
      if ((o.name == ref || o.block == ref) && j >= k)
        fail(e, "reads '" + ref + "', which is defined later (" + o.where +
                    "); a layer can only read earlier layers");
    }
    std::vector<std::string> known = graph_->node_names();
    known.push_back(nn::Graph::kInput);
    fail(e, "reads '" + ref + "', which names no layer" + did_you_mean(ref, known));
  }

  // Runs f; a UsageError from a constructor or the graph gets the entry's file, line and context.
  template <class F>
  auto guarded(const Entry& e, F&& f) {
    try {
      return f();
    } catch (const TomlError&) {
      throw;  // already names the file and line
    } catch (const UsageError& err) {
      fail(e, err.what());
    }
  }

  void add(size_t k) {
    const Entry& e = entries_[k];
    const toml::table& t = *e.t;
    auto input = get_string(t, "input", e.ctx);
    if (e.type == "add" || e.type == "concat") {
      if (!e.block.empty()) fail(e, e.type + " cannot be inside a block (blocks are chains)");
      if (input) fail(e, "a merge reads 'inputs = [...]', not 'input'");
      auto refs = get_string_list(t, "inputs", e.ctx);
      if (!refs)
        fail(e, "missing required key 'inputs' (the names of the nodes to " + e.type + ")");
      if (refs->size() < 2) fail(e, "'inputs' needs at least two names");
      std::vector<std::string> nodes;
      for (const auto& r : *refs) nodes.push_back(resolve(e, k, r));
      block_.reset();
      const std::string node = guarded(e, [&] {
        return graph_->add_merge(e.type == "add" ? nn::Merge::Add : nn::Merge::Concat, nodes,
                                 e.name);
      });
      locations_[node] = e.where + ": " + e.ctx;
      return;
    }
    const nn::LayerSpec& spec = *nn::find_layer_spec(e.type);  // read_entries checked the type
    const nn::LayerArgs args = read_layer_args(t, spec, e.ctx);
    ModulePtr m = guarded(e, [&] { return spec.build(args, base_.fork(k)); });
    std::string path;
    if (!e.block.empty() && block_ && block_name_ == e.block) {
      if (input) fail(e, "only the first layer of block '" + e.block + "' may set 'input'");
      path = e.block + "." + guarded(e, [&] {
               std::string child = e.name.empty() ? std::to_string(block_->size()) : e.name;
               block_->add(child, m);
               return child;
             });
    } else if (!e.block.empty()) {
      if (closed_blocks_.count(e.block))
        fail(e, "block '" + e.block + "' continues after other layers; a block's layers must " +
                    "be consecutive");
      std::string from = input ? resolve(e, k, *input) : "";
      block_ = std::make_shared<nn::Sequential>();
      block_name_ = e.block;
      closed_blocks_.insert(e.block);
      guarded(e, [&] { return graph_->add(block_, e.block, from); });
      std::string child = e.name.empty() ? "0" : e.name;
      block_->add(child, m);
      path = e.block + "." + child;
    } else {
      std::string from = input ? resolve(e, k, *input) : "";
      block_.reset();
      path = guarded(e, [&] { return graph_->add(m, e.name, from); });
    }
    locations_[path] = e.where + ": " + e.ctx;
  }

  const std::vector<Entry>& entries_;
  Rng base_;
  std::shared_ptr<nn::Graph> graph_ = std::make_shared<nn::Graph>();
  std::shared_ptr<nn::Sequential> block_;
  std::string block_name_;
  std::set<std::string> closed_blocks_;
  std::map<std::string, std::string> locations_;
};

std::vector<Entry> read_entries(const toml::table& root, const std::string& source) {
  const toml::node* layers = root.get("layer");
  if (!layers) throw UsageError(source + ": no [[layer]] entries (a model needs at least one)");
  const toml::array* arr = layers->as_array();
  if (!arr || !arr->is_array_of_tables() || arr->empty())
    throw_type_error(*layers, "layer", "an array of tables ([[layer]] entries)", "");
  std::vector<std::string> type_names = model_file_layer_types();
  std::vector<Entry> entries;
  std::map<std::string, std::string> names;  // explicit name or block -> where first defined
  for (size_t k = 0; k < arr->size(); ++k) {
    const toml::table& t = *(*arr)[k].as_table();
    Entry e;
    e.t = &t;
    e.where = toml_where(t);
    const std::string base_ctx = "[[layer]] " + std::to_string(k);
    e.type = require_string(t, "type", base_ctx);
    if (std::find(type_names.begin(), type_names.end(), e.type) == type_names.end())
      throw_at(*t.get("type"), base_ctx,
               "unknown layer type '" + e.type + "'" + did_you_mean(e.type, type_names));
    e.name = get_string(t, "name", base_ctx).value_or("");
    e.block = get_string(t, "block", base_ctx).value_or("");
    e.ctx = base_ctx + (e.name.empty() ? "" : " '" + e.name + "'") + " (" + e.type + ")";
    std::vector<std::string> keys = kCommonKeys;
    if (e.type == "add" || e.type == "concat") {
      keys.push_back("inputs");
    } else {
      for (const auto& key : nn::find_layer_spec(e.type)->keys) keys.push_back(key.name);
    }
    check_keys(t, keys, e.ctx);
    for (const char* key : {"name", "block"}) {
      const toml::node* n = t.get(key);
      const std::string& value = std::string(key) == "name" ? e.name : e.block;
      // '/' and '\\' too: the report names picture files after layers (a '/' broke it).
      const bool odd = std::any_of(value.begin(), value.end(), [](unsigned char c) {
        return c == '.' || c == '/' || c == '\\' || c < 0x20 || c == 0x7f;
      });
      if (n && (value.empty() || odd || value == nn::Graph::kInput))
        throw_at(*n, e.ctx,
                 std::string(key) + " '" + value +
                     "' must be non-empty, without '.', '/', '\\' or control characters, and "
                     "not 'input' (the model's input)");
    }
    if (!e.name.empty()) {
      auto [it, fresh] = names.emplace(e.name, e.where);
      if (!fresh)
        throw_at(*t.get("name"), e.ctx,
                 "duplicate name '" + e.name + "' (first used at " + it->second + ")");
    }
    if (!e.block.empty() && (entries.empty() || entries.back().block != e.block)) {
      auto [it, fresh] = names.emplace(e.block, e.where);
      if (!fresh)
        throw_at(*t.get("block"), e.ctx,
                 "block '" + e.block + "' reuses a name first used at " + it->second +
                     " (a block's layers must be consecutive)");
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

// The entry whose module the error names: the longest recorded path that prefixes the message.
std::string locate(const std::string& msg, const std::map<std::string, std::string>& where) {
  std::string best_path, best;
  for (const auto& [path, loc] : where) {
    bool hit = msg.rfind(path + " (", 0) == 0 || msg.rfind(path + ".", 0) == 0;
    if (hit && path.size() > best_path.size()) best_path = path, best = loc;
  }
  return best;
}

}  // namespace

std::vector<std::string> model_file_layer_types() {
  std::vector<std::string> out;
  for (const auto& spec : nn::layer_specs()) out.push_back(spec.type);
  out.push_back("add");
  out.push_back("concat");
  return out;
}

namespace {

constexpr int64_t kMaxInputElements = int64_t{1} << 24;

ModelFile model_from_table(const toml::table& root, const std::string& source_name, uint64_t seed) {
  const std::string top = "the top level";
  check_keys(root, {"name", "description", "input", "layer"}, top);
  ModelFile mf;
  mf.source = source_name;
  mf.name = get_string(root, "name", top).value_or(file_stem(source_name));
  mf.description = get_string(root, "description", top).value_or("");
  std::vector<int64_t> input = require_int_list(root, "input", top);
  if (input.empty() || input.size() > 3 ||
      std::any_of(input.begin(), input.end(), [](int64_t d) { return d <= 0; }))
    throw_at(*root.get("input"), top,
             "'input' must be 1 to 3 positive sizes without the batch, as [C, H, W] or [C, L] " +
                 std::string("or [features]"));
  mf.input = Shape(input);
  // One sample's input is built below (batch 1) and later batched: a few hundred MB at most.
  if (mf.input.numel() > kMaxInputElements)
    throw_at(*root.get("input"), top,
             "'input' " + mf.input.str() + " has " + std::to_string(mf.input.numel()) +
                 " elements per sample, more than the limit " + std::to_string(kMaxInputElements));

  std::vector<Entry> entries = read_entries(root, source_name);
  Assembler assembler(entries, seed);
  mf.model = assembler.run();
  // Build now, so a layer that does not fit ((W - F + 2P)/S + 1 < 1, channel mismatches, ...)
  // is reported at load time with its line.
  try {
    mf.model->build(mf.input);
  } catch (const ShapeError& e) {
    std::string loc = locate(e.what(), assembler.locations());
    throw ShapeError((loc.empty() ? source_name : loc) + ": does not fit input " + mf.input.str() +
                     " of the model: " + e.what());
  } catch (const UsageError& e) {
    std::string loc = locate(e.what(), assembler.locations());
    throw UsageError((loc.empty() ? source_name : loc) + ": " + e.what());
  } catch (const Error& e) {
    // Sizes within the per-key limits can still multiply into more memory than the machine has
    // (the allocator's "out of memory"): a configuration error of this file, not a crash.
    if (dynamic_cast<const ShapeError*>(&e) || dynamic_cast<const IoError*>(&e) ||
        dynamic_cast<const NumericalError*>(&e))
      throw;
    throw UsageError(source_name + ": building the model on input " + mf.input.str() +
                     " failed: " + e.what());
  }
  return mf;
}

}  // namespace

ModelFile parse_model_file(std::string_view text, const std::string& source_name, uint64_t seed) {
  return model_from_table(parse_toml(text, source_name), source_name, seed);
}

ModelFile load_model_file(const std::string& path, uint64_t seed) {
  return model_from_table(parse_toml_file(path), path, seed);
}

}  // namespace physcnn::io

// Model files: the table of layer types (keys = option-struct fields) and the wiring of named
// nodes and blocks into an nn::Graph, built on the declared input so misfits surface at load.
#include "io/model_file.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "io/toml_util.hpp"
#include "nn/nn.hpp"

namespace physcnn::io {

namespace {

using nn::ModulePtr;

// What a layer builder sees: its table, the context for messages and its own init stream.
struct LayerCtx {
  const toml::table& t;
  const std::string& ctx;
  Rng rng;

  int64_t int_or(const std::string& key, int64_t dflt) const {
    return bounded(key, get_int(t, key, ctx).value_or(dflt));
  }
  int64_t req_int(const std::string& key) const { return bounded(key, require_int(t, key, ctx)); }
  // Sizes above kMaxSize (out = 10^12, kernel = 10^9) are typos or hostile files: refused here
  // with the line, before a constructor tries to allocate terabytes.
  int64_t bounded(const std::string& key, int64_t v) const {
    if (v > kMaxSize)
      throw_at(*t.get(key), ctx,
               key + " = " + std::to_string(v) + " is larger than " + std::to_string(kMaxSize) +
                   ", the limit for a size in a model file");
    return v;
  }
  static constexpr int64_t kMaxSize = int64_t{1} << 16;
  double num_or(const std::string& key, double dflt) const {
    return get_double(t, key, ctx).value_or(dflt);
  }
  bool bool_or(const std::string& key, bool dflt) const {
    return get_bool(t, key, ctx).value_or(dflt);
  }

  // An extent: 3 or [3, 5].
  nn::Size2 size2(const std::string& key, nn::Size2 dflt) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    if (n->is_integer()) return nn::Size2(bounded(key, n->as_integer()->get()));
    if (const auto* a = n->as_array(); a && a->size() == 2 && a->is_homogeneous<int64_t>())
      return nn::Size2(bounded(key, (*a)[0].as_integer()->get()),
                       bounded(key, (*a)[1].as_integer()->get()));
    throw_type_error(*n, key, "an integer or [h, w]", ctx);
  }
  nn::Size2 req_size2(const std::string& key) const {
    if (!t.get(key)) require_int(t, key, ctx);  // throws "missing required key"
    return size2(key, 0);
  }

  // Convolution padding: 1, [ph, pw] / [left, right], [top, bottom, left, right], "same", "valid".
  nn::PadSpec padding() const {
    const toml::node* n = t.get("padding");
    if (!n) return nn::PadSpec(0);
    if (n->is_integer()) return nn::PadSpec(bounded("padding", n->as_integer()->get()));
    if (n->is_string()) {
      const std::string s = n->as_string()->get();
      if (s == "same") return nn::PadSpec(nn::PadSpec::Kind::Same);
      if (s == "valid") return nn::PadSpec(nn::PadSpec::Kind::Valid);
      throw_at(*n, ctx,
               "padding \"" + s + "\" is not \"same\" or \"valid\"" +
                   did_you_mean(s, {"same", "valid"}));
    }
    if (const auto* a = n->as_array();
        a && !a->empty() && a->size() != 3 && a->size() <= 4 && a->is_homogeneous<int64_t>()) {
      nn::PadSpec p;
      p.values.clear();
      for (const auto& e : *a) p.values.push_back(bounded("padding", e.as_integer()->get()));
      return p;
    }
    throw_type_error(*n, "padding", "an integer, a list of 2 or 4 integers, \"same\" or \"valid\"",
                     ctx);
  }

  // A string naming one of a few enum values.
  template <class E>
  E choice(const std::string& key, E dflt,
           const std::vector<std::pair<std::string, E>>& names) const {
    const toml::node* n = t.get(key);
    if (!n) return dflt;
    std::vector<std::string> valid;
    for (const auto& [s, _] : names) valid.push_back(s);
    std::string all;
    for (const auto& s : valid) all += (all.empty() ? "\"" : ", \"") + s + "\"";
    if (!n->is_string()) throw_type_error(*n, key, "one of " + all, ctx);
    const std::string s = n->as_string()->get();
    for (const auto& [name, e] : names)
      if (name == s) return e;
    throw_at(*n, ctx, key + " \"" + s + "\" is not one of " + all + did_you_mean(s, valid));
  }
  nn::Padding padding_mode() const {
    return choice<nn::Padding>("padding_mode", nn::Padding::Zeros,
                               {{"zeros", nn::Padding::Zeros},
                                {"circular", nn::Padding::Circular},
                                {"reflect", nn::Padding::Reflect},
                                {"replicate", nn::Padding::Replicate}});
  }
};

using Builder = ModulePtr (*)(const LayerCtx&);
struct LayerType {
  std::string name;
  std::vector<std::string> keys;  // besides type, name, input and block
  Builder build;
};

template <class M, class... Args>
ModulePtr make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}

nn::Pool2dOptions pool2d_options(const LayerCtx& c, bool max) {
  nn::Pool2dOptions o;
  o.kernel = c.req_size2("kernel");
  o.stride = c.size2("stride", 0);
  o.padding = c.size2("padding", 0);
  if (max) o.dilation = c.size2("dilation", 1);
  o.ceil_mode = c.bool_or("ceil_mode", false);
  if (!max) o.count_include_pad = c.bool_or("count_include_pad", true);
  return o;
}

nn::Pool1dOptions pool1d_options(const LayerCtx& c, bool max) {
  nn::Pool1dOptions o;
  o.kernel = c.req_int("kernel");
  o.stride = c.int_or("stride", 0);
  o.padding = c.int_or("padding", 0);
  if (max) o.dilation = c.int_or("dilation", 1);
  o.ceil_mode = c.bool_or("ceil_mode", false);
  if (!max) o.count_include_pad = c.bool_or("count_include_pad", true);
  return o;
}

nn::BatchNormOptions batchnorm_options(const LayerCtx& c) {
  nn::BatchNormOptions o;
  o.features = c.int_or("features", 0);
  o.eps = c.num_or("eps", 1e-5);
  // momentum = "none" is PyTorch's momentum=None (a cumulative average).
  if (const toml::node* n = c.t.get("momentum"); n && n->is_string()) {
    if (n->as_string()->get() != "none")
      throw_type_error(*n, "momentum", "a number or \"none\"", c.ctx);
    o.momentum = std::nullopt;
  } else if (n) {
    o.momentum = c.num_or("momentum", 0.1);
  }
  o.affine = c.bool_or("affine", true);
  o.track_running_stats = c.bool_or("track_running_stats", true);
  return o;
}

const std::vector<std::string> kConvKeys{"in",           "out",      "kernel", "stride", "padding",
                                         "padding_mode", "dilation", "groups", "bias"};
const std::vector<std::string> kPoolKeys{"kernel", "stride", "padding", "ceil_mode"};
const std::vector<std::string> kBatchNormKeys{"features", "eps", "momentum", "affine",
                                              "track_running_stats"};

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<LayerType>& layer_types() {
  static const std::vector<LayerType> types{
      {"conv1d", kConvKeys,
       [](const LayerCtx& c) {
         return make<nn::Conv1d>(nn::Conv1dOptions{.in = c.int_or("in", 0),
                                                   .out = c.req_int("out"),
                                                   .kernel = c.req_int("kernel"),
                                                   .stride = c.int_or("stride", 1),
                                                   .padding = c.padding(),
                                                   .padding_mode = c.padding_mode(),
                                                   .dilation = c.int_or("dilation", 1),
                                                   .groups = c.int_or("groups", 1),
                                                   .bias = c.bool_or("bias", true)},
                                 c.rng);
       }},
      {"conv2d", kConvKeys,
       [](const LayerCtx& c) {
         return make<nn::Conv2d>(nn::Conv2dOptions{.in = c.int_or("in", 0),
                                                   .out = c.req_int("out"),
                                                   .kernel = c.req_size2("kernel"),
                                                   .stride = c.size2("stride", 1),
                                                   .padding = c.padding(),
                                                   .padding_mode = c.padding_mode(),
                                                   .dilation = c.size2("dilation", 1),
                                                   .groups = c.int_or("groups", 1),
                                                   .bias = c.bool_or("bias", true)},
                                 c.rng);
       }},
      {"conv_transpose2d",
       {"in", "out", "kernel", "stride", "padding", "output_padding", "dilation", "groups", "bias"},
       [](const LayerCtx& c) {
         return make<nn::ConvTranspose2d>(
             nn::ConvTranspose2dOptions{.in = c.int_or("in", 0),
                                        .out = c.req_int("out"),
                                        .kernel = c.req_size2("kernel"),
                                        .stride = c.size2("stride", 1),
                                        .padding = c.size2("padding", 0),
                                        .output_padding = c.size2("output_padding", 0),
                                        .dilation = c.size2("dilation", 1),
                                        .groups = c.int_or("groups", 1),
                                        .bias = c.bool_or("bias", true)},
             c.rng);
       }},
      {"depthwise_separable_conv2d",
       {"in", "out", "kernel", "stride", "padding", "padding_mode", "dilation", "bias"},
       [](const LayerCtx& c) {
         return make<nn::DepthwiseSeparableConv2d>(
             nn::DepthwiseSeparableConv2dOptions{.in = c.int_or("in", 0),
                                                 .out = c.req_int("out"),
                                                 .kernel = c.size2("kernel", 3),
                                                 .stride = c.size2("stride", 1),
                                                 .padding = c.padding(),
                                                 .padding_mode = c.padding_mode(),
                                                 .dilation = c.size2("dilation", 1),
                                                 .bias = c.bool_or("bias", true)},
             c.rng);
       }},
      {"linear",
       {"in", "out", "bias"},
       [](const LayerCtx& c) {
         return make<nn::Linear>(
             nn::LinearOptions{
                 .in = c.int_or("in", 0), .out = c.req_int("out"), .bias = c.bool_or("bias", true)},
             c.rng);
       }},
      {"batchnorm1d", kBatchNormKeys,
       [](const LayerCtx& c) { return make<nn::BatchNorm1d>(batchnorm_options(c)); }},
      {"batchnorm2d", kBatchNormKeys,
       [](const LayerCtx& c) { return make<nn::BatchNorm2d>(batchnorm_options(c)); }},
      {"dropout",
       {"p"},
       [](const LayerCtx& c) {
         return make<nn::Dropout>(nn::DropoutOptions{.p = c.num_or("p", 0.5)}, c.rng);
       }},
      {"dropout2d",
       {"p"},
       [](const LayerCtx& c) {
         return make<nn::Dropout2d>(nn::DropoutOptions{.p = c.num_or("p", 0.5)}, c.rng);
       }},
      {"maxpool1d", plus(kPoolKeys, {"dilation"}),
       [](const LayerCtx& c) { return make<nn::MaxPool1d>(pool1d_options(c, true)); }},
      {"avgpool1d", plus(kPoolKeys, {"count_include_pad"}),
       [](const LayerCtx& c) { return make<nn::AvgPool1d>(pool1d_options(c, false)); }},
      {"maxpool2d", plus(kPoolKeys, {"dilation"}),
       [](const LayerCtx& c) { return make<nn::MaxPool2d>(pool2d_options(c, true)); }},
      {"avgpool2d", plus(kPoolKeys, {"count_include_pad"}),
       [](const LayerCtx& c) { return make<nn::AvgPool2d>(pool2d_options(c, false)); }},
      {"global_avg_pool2d", {}, [](const LayerCtx&) { return make<nn::GlobalAvgPool2d>(); }},
      {"global_max_pool2d", {}, [](const LayerCtx&) { return make<nn::GlobalMaxPool2d>(); }},
      {"flatten",
       {"start_dim"},
       [](const LayerCtx& c) {
         return make<nn::Flatten>(nn::FlattenOptions{.start_dim = c.int_or("start_dim", 1)});
       }},
      {"upsample",
       {"size", "scale", "mode", "align_corners"},
       [](const LayerCtx& c) {
         nn::UpsampleOptions o;
         o.size = c.size2("size", 0);
         if (const toml::node* n = c.t.get("scale")) {
           if (const auto* a = n->as_array(); a && a->size() == 2) {
             for (size_t i = 0; i < 2; ++i) {
               auto v = (*a)[i].value<double>();
               if (!v) throw_type_error(*n, "scale", "a number or [sh, sw]", c.ctx);
               o.scale[i] = *v;
             }
           } else if (auto v = n->value<double>(); v && !n->is_boolean() && !n->is_string()) {
             o.scale = {*v, *v};
           } else {
             throw_type_error(*n, "scale", "a number or [sh, sw]", c.ctx);
           }
         }
         o.mode = c.choice<nn::UpsampleMode>(
             "mode", nn::UpsampleMode::Nearest,
             {{"nearest", nn::UpsampleMode::Nearest}, {"bilinear", nn::UpsampleMode::Bilinear}});
         o.align_corners = c.bool_or("align_corners", false);
         return make<nn::Upsample>(o);
       }},
      {"relu", {}, [](const LayerCtx&) { return make<nn::ReLU>(); }},
      {"leaky_relu",
       {"negative_slope"},
       [](const LayerCtx& c) {
         return make<nn::LeakyReLU>(
             nn::LeakyReLUOptions{.negative_slope = c.num_or("negative_slope", 0.01)});
       }},
      {"elu",
       {"alpha"},
       [](const LayerCtx& c) {
         return make<nn::ELU>(nn::ELUOptions{.alpha = c.num_or("alpha", 1.0)});
       }},
      {"gelu",
       {"approximate"},
       [](const LayerCtx& c) {
         return make<nn::GELU>(nn::GELUOptions{
             .approximate = c.choice<autograd::GeluApprox>(
                 "approximate", autograd::GeluApprox::None,
                 {{"none", autograd::GeluApprox::None}, {"tanh", autograd::GeluApprox::Tanh}})});
       }},
      {"sigmoid", {}, [](const LayerCtx&) { return make<nn::Sigmoid>(); }},
      {"tanh", {}, [](const LayerCtx&) { return make<nn::Tanh>(); }},
      {"softmax",
       {"dim"},
       [](const LayerCtx& c) {
         return make<nn::Softmax>(nn::SoftmaxOptions{.dim = c.int_or("dim", 1)});
       }},
      {"log_softmax",
       {"dim"},
       [](const LayerCtx& c) {
         return make<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = c.int_or("dim", 1)});
       }},
      {"identity", {}, [](const LayerCtx&) { return make<nn::Identity>(); }},
  };
  return types;
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
    const auto& types = layer_types();
    auto type = std::find_if(types.begin(), types.end(),
                             [&](const LayerType& lt) { return lt.name == e.type; });
    LayerCtx c{t, e.ctx, base_.fork(k)};
    ModulePtr m = guarded(e, [&] { return type->build(c); });
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
      for (const auto& lt : layer_types())
        if (lt.name == e.type) keys.insert(keys.end(), lt.keys.begin(), lt.keys.end());
    }
    check_keys(t, keys, e.ctx);
    for (const char* key : {"name", "block"}) {
      const toml::node* n = t.get(key);
      const std::string& value = std::string(key) == "name" ? e.name : e.block;
      if (n &&
          (value.empty() || value.find('.') != std::string::npos || value == nn::Graph::kInput))
        throw_at(*n, e.ctx,
                 std::string(key) + " '" + value +
                     "' must be non-empty, without '.', and not 'input' (the model's input)");
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
  for (const auto& lt : layer_types()) out.push_back(lt.name);
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

// Model files written back from a model: one inline table per layer with the keys the layer
// reports (nn::Module::layer_args) that differ from its defaults, names and inputs where the
// defaults would read differently, blocks for Sequential nodes.
#include <cstdio>

#include "io/model_file.hpp"
#include "nn/container.hpp"
#include "nn/registry.hpp"

namespace physcnn::io {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class Writer {
 public:
  // One entry; `extra` holds name / block / input, already formatted.
  void layer(const nn::Module& m, const std::string& extra) {
    const nn::LayerSpec* spec = nn::find_layer_spec(m);
    if (!spec)
      throw UsageError("model file: " + m.context() +
                       " is not a layer type a model file can name (nn/registry.cpp)");
    const nn::LayerArgs args = m.layer_args();
    const nn::LayerArgs defaults = nn::default_args(*spec, args);
    std::string line = "  { " + extra + "type = " + quoted(spec->type);
    for (const auto& key : spec->keys) {  // in the declared order, as the reference lists them
      auto it = args.find(key.name);
      if (it == args.end()) continue;
      auto d = defaults.find(key.name);
      if (!key.required && d != defaults.end() && d->second == it->second) continue;
      line += ", " + key.name + " = " + nn::key_value_text(it->second);
    }
    lines_ += line + " },\n";
  }
  void merge(nn::Merge kind, const std::string& extra, const std::vector<std::string>& inputs) {
    std::string list;
    for (const auto& i : inputs) list += (list.empty() ? "" : ", ") + quoted(i);
    lines_ += "  { " + extra + "type = " + quoted(kind == nn::Merge::Add ? "add" : "concat") +
              ", inputs = [" + list + "] },\n";
  }
  const std::string& text() const { return lines_; }

 private:
  std::string lines_;
};

std::string key(const std::string& k, const std::string& value) {
  return k + " = " + quoted(value) + ", ";
}

void write_graph(const nn::Graph& g, Writer& w) {
  const auto nodes = g.nodes();
  std::string previous = nn::Graph::kInput;
  for (size_t j = 0; j < nodes.size(); ++j) {
    const auto& n = nodes[j];
    const std::string name = n.name == std::to_string(j) ? "" : key("name", n.name);
    if (!n.module) {
      w.merge(n.merge, name, n.inputs);
    } else {
      const std::string input = n.inputs[0] == previous ? "" : key("input", n.inputs[0]);
      if (const auto* block = dynamic_cast<const nn::Sequential*>(n.module.get())) {
        const auto& ch = block->children();
        for (size_t i = 0; i < ch.size(); ++i) {
          const std::string child =
              ch[i].first == std::to_string(i) ? "" : key("name", ch[i].first);
          w.layer(*ch[i].second, key("block", n.name) + child + (i == 0 ? input : ""));
        }
      } else {
        w.layer(*n.module, name + input);
      }
    }
    previous = n.name;
  }
}

}  // namespace

std::string model_file_text(const nn::Module& model, const Shape& input, const std::string& name,
                            const std::string& description) {
  Writer w;
  if (const auto* g = dynamic_cast<const nn::Graph*>(&model)) {
    write_graph(*g, w);
  } else if (const auto* seq = dynamic_cast<const nn::Sequential*>(&model)) {
    const auto& ch = seq->children();
    for (size_t i = 0; i < ch.size(); ++i)
      w.layer(*ch[i].second, ch[i].first == std::to_string(i) ? "" : key("name", ch[i].first));
  } else {
    w.layer(model, "");
  }
  std::string out;
  if (!name.empty()) out += "name = " + quoted(name) + "\n";
  if (!description.empty()) out += "description = " + quoted(description) + "\n";
  out += "input = [";
  for (int64_t i = 0; i < input.rank(); ++i) out += (i ? ", " : "") + std::to_string(input[i]);
  return out + "]\nlayer = [\n" + w.text() + "]\n";
}

}  // namespace physcnn::io

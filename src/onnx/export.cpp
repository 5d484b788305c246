// ONNX export through libonnx's protobuf classes: a GraphSink (nn/export.hpp) that appends
// NodeProtos and TensorProto initializers, then onnx::checker::check_model.
#include "onnx/export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <map>
#include <set>

#include "autograd/var.hpp"
#include "io/atomic_file.hpp"

namespace physcnn::onnx_export {

namespace {

class ProtoSink : public nn::GraphSink {
 public:
  explicit ProtoSink(::onnx::GraphProto& graph) : graph_(graph) {}

  std::string constant(const std::string& hint, const Tensor& value) override {
    const Tensor t = value.to(DType::F32).contiguous();
    auto* init = graph_.add_initializer();
    const std::string name = unique(hint);
    init->set_name(name);
    init->set_data_type(::onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape()) init->add_dims(d);
    init->set_raw_data(std::string(reinterpret_cast<const char*>(t.data<float>()),
                                   size_t(t.numel()) * sizeof(float)));
    return name;
  }

  std::string constant_i64(const std::string& hint, const std::vector<int64_t>& v) override {
    auto* init = graph_.add_initializer();
    const std::string name = unique(hint);
    init->set_name(name);
    init->set_data_type(::onnx::TensorProto::INT64);
    init->add_dims(int64_t(v.size()));
    for (int64_t x : v) init->add_int64_data(x);
    return name;
  }

  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const nn::ExportAttrs& attrs, const std::string& hint) override {
    auto* n = graph_.add_node();
    const std::string out = unique(hint);
    n->set_op_type(op);
    n->set_name(out);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(out);
    for (const auto& [key, value] : attrs) {
      auto* a = n->add_attribute();
      a->set_name(key);
      if (auto* i = std::get_if<int64_t>(&value)) {
        a->set_type(::onnx::AttributeProto::INT);
        a->set_i(*i);
      } else if (auto* f = std::get_if<double>(&value)) {
        a->set_type(::onnx::AttributeProto::FLOAT);
        a->set_f(float(*f));
      } else if (auto* s = std::get_if<std::string>(&value)) {
        a->set_type(::onnx::AttributeProto::STRING);
        a->set_s(*s);
      } else if (auto* is = std::get_if<std::vector<int64_t>>(&value)) {
        a->set_type(::onnx::AttributeProto::INTS);
        for (int64_t v : *is) a->add_ints(v);
      } else {
        a->set_type(::onnx::AttributeProto::FLOATS);
        for (double v : std::get<std::vector<double>>(value)) a->add_floats(float(v));
      }
    }
    ++ops[op];
    return out;
  }

  std::map<std::string, int> ops;

 private:
  std::string unique(const std::string& hint) {
    std::string name = hint.empty() ? "v" : hint;
    if (used_.insert(name).second) return name;
    for (int k = 1;; ++k)
      if (used_.insert(name + "_" + std::to_string(k)).second)
        return name + "_" + std::to_string(k);
  }

  ::onnx::GraphProto& graph_;
  std::set<std::string> used_{"input", "output"};
};

void set_value_info(::onnx::ValueInfoProto& v, const std::string& name, const Shape& shape) {
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(::onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  for (int64_t d = 0; d < shape.rank(); ++d) {
    auto* dim = s->add_dim();
    if (d == 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(shape[d]);
  }
}

}  // namespace

Report build_model(nn::Module& model, const Shape& input, const Options& options,
                   ::onnx::ModelProto& out) {
  model.build(input);  // lazy layers materialise
  const bool was_training = model.is_training();
  model.eval();
  struct Restore {
    nn::Module& m;
    bool on;
    ~Restore() { m.train(on); }
  } restore{model, was_training};
  autograd::NoGradGuard no_grad;

  out.Clear();
  out.set_ir_version(::onnx::IR_VERSION);
  out.set_producer_name("physcnn");
  out.set_producer_version(options.producer_version);
  auto* opset = out.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  auto* graph = out.mutable_graph();
  graph->set_name(model.type_name());

  ProtoSink sink(*graph);
  sink.fold_batch_norm = options.fold_batch_norm;
  std::vector<int64_t> dims{1};
  for (int64_t d : input) dims.push_back(d);
  const nn::ExportValue x{"input", Shape(dims)};
  nn::ExportValue normalised = x;
  if (!options.mean.empty()) {
    const int64_t c = input.rank() > 0 ? input[0] : 0;
    PHYSCNN_CHECK_ARG(
        int64_t(options.mean.size()) == c && options.std.size() == options.mean.size(),
        "ONNX export: normalisation statistics for ", options.mean.size(),
        " channels, but the input ", input.str(), " has ", c);
    std::vector<int64_t> per_channel{c};  // (C, 1, ...) broadcasts over the sample's positions
    for (int64_t d = 1; d < input.rank(); ++d) per_channel.push_back(1);
    const Tensor mean = Tensor::from_vector(options.mean, Shape(per_channel));
    const Tensor std = Tensor::from_vector(options.std, Shape(per_channel));
    const std::string centred =
        sink.node("Sub", {x.name, sink.constant("normalize.mean", mean)}, {}, "normalize.centred");
    normalised.name =
        sink.node("Div", {centred, sink.constant("normalize.std", std)}, {}, "normalize");
  }
  nn::ExportValue y = model.export_value(sink, normalised);
  // The graph's output is a node's output named "output" (an Identity when the model is one).
  if (y.name == "input" || graph->node_size() == 0 ||
      graph->node(graph->node_size() - 1).output(0) != y.name) {
    y.name = sink.node("Identity", {y.name}, {}, "output");
  } else {
    auto* last = graph->mutable_node(graph->node_size() - 1);
    last->set_output(0, "output");
    y.name = "output";
  }
  set_value_info(*graph->add_input(), "input", x.shape);
  set_value_info(*graph->add_output(), "output", y.shape);
  try {
    ::onnx::checker::check_model(out);
  } catch (const std::exception& e) {
    throw Error(std::string("ONNX export of ") + model.type_name() +
                ": the ONNX checker refuses the graph: " + e.what());
  }
  return {sink.ops, y.shape};
}

Report export_onnx(nn::Module& model, const Shape& input, const std::string& path,
                   const Options& options) {
  ::onnx::ModelProto proto;
  Report report = build_model(model, input, options, proto);
  io::write_file_atomic(path, [&](std::ostream& os) {
    if (!proto.SerializeToOstream(&os)) throw IoError("cannot serialize the ONNX model to " + path);
  });
  return report;
}

}  // namespace physcnn::onnx_export

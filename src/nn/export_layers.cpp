// export_graph of the layers with parameters or geometry (nn/export.hpp): convolutions, linear,
// batch norm, dropout (removed), pooling and upsampling, as ONNX operators (opset 13).
#include <cmath>

#include "nn/conv.hpp"
#include "nn/export_ops.hpp"
#include "nn/layers.hpp"

namespace physcnn::nn {

namespace ex = exporting;

namespace {

// The batch norm that a convolution of `rank` (3 or 4) can absorb, or null.
const BatchNorm* foldable_norm(const Module& next, int64_t rank) {
  const auto* bn = dynamic_cast<const BatchNorm*>(&next);
  if (!bn || bn->is_training()) return nullptr;
  const bool rank_ok = rank == 4 ? dynamic_cast<const BatchNorm2d*>(bn) != nullptr
                                 : dynamic_cast<const BatchNorm1d*>(bn) != nullptr;
  return rank_ok && !bn->batch_coupling().size() ? bn : nullptr;
}

}  // namespace

// --- convolutions -----------------------------------------------------------------------------

namespace {
ex::ConvNode conv2d_node(const Conv2d& c, const Conv2dOptions& o, const Tensor& w, const Var& b) {
  const auto p = c.resolved_padding();
  return {.weight = w,
          .bias = b.defined() ? b.value() : Tensor(),
          .stride = {o.stride.h, o.stride.w},
          .pads = {p[0], p[2], p[1], p[3]},
          .dilation = {o.dilation.h, o.dilation.w},
          .groups = o.groups,
          .padding_mode = o.padding_mode};
}
}  // namespace

std::string Conv2d::export_graph(GraphSink& g, const ExportValue& x) {
  return ex::conv(g, x, conv2d_node(*this, o_, weight_.value(), bias_), ex::hint(*this));
}

bool Conv2d::export_absorbs(const Module& next) const {
  return foldable_norm(next, 4) != nullptr;
}

std::string Conv2d::export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next) {
  auto node = conv2d_node(*this, o_, weight_.value(), bias_);
  const auto [scale, shift] = dynamic_cast<const BatchNorm&>(next).eval_scale_shift();
  ex::fold_scale_shift(node, scale, shift);
  return ex::conv(g, x, node, ex::hint(*this) + "+" + ex::hint(next));
}

namespace {
ex::ConvNode conv1d_node(const Conv1dOptions& o, const Tensor& w, const Var& b) {
  std::array<int64_t, 2> p{0, 0};
  const auto& v = o.padding.values;
  if (o.padding.kind == PadSpec::Kind::Same) {
    const int64_t total = o.dilation * (o.kernel - 1);
    p = {total / 2, total - total / 2};
  } else if (o.padding.kind == PadSpec::Kind::Explicit) {
    p = v.size() == 1 ? std::array<int64_t, 2>{v[0], v[0]} : std::array<int64_t, 2>{v[0], v[1]};
  }
  return {.weight = w,
          .bias = b.defined() ? b.value() : Tensor(),
          .stride = {o.stride},
          .pads = {p[0], p[1]},
          .dilation = {o.dilation},
          .groups = o.groups,
          .padding_mode = o.padding_mode};
}
}  // namespace

std::string Conv1d::export_graph(GraphSink& g, const ExportValue& x) {
  return ex::conv(g, x, conv1d_node(o_, weight_.value(), bias_), ex::hint(*this));
}

bool Conv1d::export_absorbs(const Module& next) const {
  return foldable_norm(next, 3) != nullptr;
}

std::string Conv1d::export_graph_folded(GraphSink& g, const ExportValue& x, const Module& next) {
  auto node = conv1d_node(o_, weight_.value(), bias_);
  const auto [scale, shift] = dynamic_cast<const BatchNorm&>(next).eval_scale_shift();
  ex::fold_scale_shift(node, scale, shift);
  return ex::conv(g, x, node, ex::hint(*this) + "+" + ex::hint(next));
}

std::string ConvTranspose2d::export_graph(GraphSink& g, const ExportValue& x) {
  const std::string name = ex::hint(*this);
  std::vector<std::string> inputs{x.name, g.constant(name + ".weight", weight_.value())};
  if (bias_.defined()) inputs.push_back(g.constant(name + ".bias", bias_.value()));
  return g.node(
      "ConvTranspose", inputs,
      {{"kernel_shape", std::vector<int64_t>{o_.kernel.h, o_.kernel.w}},
       {"strides", std::vector<int64_t>{o_.stride.h, o_.stride.w}},
       {"pads", std::vector<int64_t>{o_.padding.h, o_.padding.w, o_.padding.h, o_.padding.w}},
       {"output_padding", std::vector<int64_t>{o_.output_padding.h, o_.output_padding.w}},
       {"dilations", std::vector<int64_t>{o_.dilation.h, o_.dilation.w}},
       {"group", o_.groups}},
      name);
}

std::string DepthwiseSeparableConv2d::export_graph(GraphSink& g, const ExportValue& x) {
  ExportValue y = depthwise_->export_value(g, x);
  if (norm_) y = norm_->export_value(g, y);
  if (act_) y = act_->export_value(g, y);
  return pointwise_->export_graph(g, y);
}

// --- linear and batch norm --------------------------------------------------------------------

std::string Linear::export_graph(GraphSink& g, const ExportValue& x) {
  const std::string name = ex::hint(*this);
  if (x.shape.rank() == 2) {
    std::vector<std::string> inputs{x.name, g.constant(name + ".weight", weight_.value())};
    if (bias_.defined()) inputs.push_back(g.constant(name + ".bias", bias_.value()));
    return g.node("Gemm", inputs, {{"transB", int64_t{1}}}, name);
  }
  // Higher ranks: applied to the last dimension, as PyTorch.
  std::string y =
      g.node("MatMul", {x.name, g.constant(name + ".weight_t", weight_.value().transpose(0, 1))},
             {}, name + ".matmul");
  if (bias_.defined()) y = g.node("Add", {y, g.constant(name + ".bias", bias_.value())}, {}, name);
  return y;
}

std::pair<Tensor, Tensor> BatchNorm::eval_scale_shift() const {
  if (!o_.track_running_stats)
    throw ModuleUsageError(context() +
                           ": cannot be exported: it tracks no running statistics "
                           "(track_running_stats = false), so it normalises every batch with "
                           "that batch's statistics, which ONNX's BatchNormalization cannot do");
  const std::vector<double> mean = running_mean_.to_vector(), var = running_var_.to_vector();
  const size_t c = mean.size();
  const std::vector<double> w = o_.affine ? weight_.value().to_vector() : std::vector<double>(c, 1);
  const std::vector<double> b = o_.affine ? bias_.value().to_vector() : std::vector<double>(c, 0);
  std::vector<double> scale(c), shift(c);
  for (size_t i = 0; i < c; ++i) {
    scale[i] = w[i] / std::sqrt(var[i] + o_.eps);
    shift[i] = b[i] - mean[i] * scale[i];
  }
  const Shape s{int64_t(c)};
  return {Tensor::from_vector(scale, s), Tensor::from_vector(shift, s)};
}

std::string BatchNorm::export_graph(GraphSink& g, const ExportValue& x) {
  (void)eval_scale_shift();  // refuses without running statistics
  const std::string name = ex::hint(*this);
  const int64_t c = running_mean_.numel();
  const Tensor w = o_.affine ? weight_.value() : Tensor::ones(Shape{c});
  const Tensor b = o_.affine ? bias_.value() : Tensor::zeros(Shape{c});
  return g.node("BatchNormalization",
                {x.name, g.constant(name + ".weight", w), g.constant(name + ".bias", b),
                 g.constant(name + ".running_mean", running_mean_),
                 g.constant(name + ".running_var", running_var_)},
                {{"epsilon", o_.eps}}, name);
}

// Evaluation mode: the identity, so no node at all.
std::string Dropout::export_graph(GraphSink&, const ExportValue& x) {
  return x.name;
}

// --- pooling and upsampling -------------------------------------------------------------------

namespace {
std::string pool_node(GraphSink& g, const ExportValue& x, PoolKind kind,
                      const autograd::Pool2dArgs& a, int nd, const std::string& name) {
  std::vector<int64_t> kernel, stride, pads, dilation;
  for (int d = 2 - nd; d < 2; ++d) {
    kernel.push_back(a.kernel[size_t(d)]);
    stride.push_back(a.stride[size_t(d)] > 0 ? a.stride[size_t(d)] : a.kernel[size_t(d)]);
    pads.push_back(a.padding[size_t(d)]);
    dilation.push_back(a.dilation[size_t(d)]);
  }
  const std::vector<int64_t> begins = pads;
  pads.insert(pads.end(), begins.begin(), begins.end());
  ExportAttrs attrs{{"kernel_shape", kernel},
                    {"strides", stride},
                    {"pads", pads},
                    {"ceil_mode", int64_t{a.ceil_mode}}};
  if (kind == PoolKind::Max) {
    attrs.emplace_back("dilations", dilation);
    return g.node("MaxPool", {x.name}, attrs, name);
  }
  attrs.emplace_back("count_include_pad", int64_t{a.count_include_pad});
  return g.node("AveragePool", {x.name}, attrs, name);
}
}  // namespace

std::string Pool2d::export_graph(GraphSink& g, const ExportValue& x) {
  return pool_node(g, x, kind_, args_, 2, ex::hint(*this));
}

std::string Pool1d::export_graph(GraphSink& g, const ExportValue& x) {
  return pool_node(g, x, kind_, args_, 1, ex::hint(*this));
}

std::string GlobalAvgPool2d::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("GlobalAveragePool", {x.name}, {}, ex::hint(*this));
}

std::string GlobalMaxPool2d::export_graph(GraphSink& g, const ExportValue& x) {
  return g.node("GlobalMaxPool", {x.name}, {}, ex::hint(*this));
}

std::string Upsample::export_graph(GraphSink& g, const ExportValue& x) {
  const std::string name = ex::hint(*this);
  ExportAttrs attrs;
  if (o_.mode == UpsampleMode::Nearest) {
    attrs = {{"mode", std::string("nearest")},
             {"coordinate_transformation_mode", std::string("asymmetric")},
             {"nearest_mode", std::string("floor")}};
  } else {
    attrs = {{"mode", std::string("linear")},
             {"coordinate_transformation_mode",
              std::string(o_.align_corners ? "align_corners" : "pytorch_half_pixel")}};
  }
  if (o_.size.h > 0) {
    // sizes = (N, C) of the input, then the fixed (OH, OW): the batch stays symbolic.
    const std::string nc =
        g.node("Slice",
               {g.node("Shape", {x.name}, {}, name + ".shape"),
                g.constant_i64(name + ".starts", {0}), g.constant_i64(name + ".ends", {2})},
               {}, name + ".nc");
    const std::string sizes =
        g.node("Concat", {nc, g.constant_i64(name + ".hw", {o_.size.h, o_.size.w})},
               {{"axis", int64_t{0}}}, name + ".sizes");
    return g.node("Resize", {x.name, "", "", sizes}, attrs, name);
  }
  const Tensor scales =
      Tensor::from_vector(std::vector<double>{1, 1, o_.scale[0], o_.scale[1]}, Shape{4});
  return g.node("Resize", {x.name, "", g.constant(name + ".scales", scales)}, attrs, name);
}

}  // namespace physcnn::nn

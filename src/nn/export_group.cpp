// export_graph of the p4/p4m layers (nn/export.hpp), as plain ONNX operators: the lifting and
// group convolutions are one Conv with the transformed filter bank as a constant (the bank that
// forward hands conv2d); group pooling is Reshape + MaxPool / AveragePool over the orientation
// axis + Reshape (four dimensions, as forward's max_pool2d, which OpenCV 4.6 runs); group batch
// norm in evaluation mode is the per-field scale and shift expanded over the orientations, or,
// with fold_batch_norm, folded into the bank of the group convolution before it.
#include "nn/export_ops.hpp"
#include "nn/group_conv.hpp"

namespace physcnn::nn {

namespace ex = exporting;

namespace {
ex::ConvNode bank_node(const GroupConv2dOptions& o, const Var& bank, const Var& bias, int64_t p) {
  return {.weight = bank.value(),
          .bias = bias.defined() ? bias.value() : Tensor(),
          .stride = {o.stride, o.stride},
          .pads = {p, p, p, p},
          .dilation = {o.dilation, o.dilation},
          .groups = o.groups,
          .padding_mode = o.padding_mode};
}
}  // namespace

std::string GroupConvBase::export_graph(GraphSink& g, const ExportValue& x) {
  if (!weight_.defined()) materialise(x.shape[1], DType::F32);
  return ex::conv(g, x, bank_node(o_, filter_bank(), bank_bias(), resolved_padding()),
                  ex::hint(*this));
}

bool GroupConvBase::export_absorbs(const Module& next) const {
  const auto* bn = dynamic_cast<const GroupBatchNorm2d*>(&next);
  return bn && !bn->is_training() && bn->batch_coupling().empty() && bn->group() == o_.group;
}

std::string GroupConvBase::export_graph_folded(GraphSink& g, const ExportValue& x,
                                               const Module& next) {
  if (!weight_.defined()) materialise(x.shape[1], DType::F32);
  auto node = bank_node(o_, filter_bank(), bank_bias(), resolved_padding());
  const auto [scale, shift] =
      dynamic_cast<const GroupBatchNorm2d&>(next).eval_scale_shift_per_channel();
  ex::fold_scale_shift(node, scale, shift);
  return ex::conv(g, x, node, ex::hint(*this) + "+" + ex::hint(next));
}

std::string GroupPool::export_graph(GraphSink& g, const ExportValue& x) {
  const int64_t G = group_order(o_.group), F = x.shape[1] / G, H = x.shape[2], W = x.shape[3];
  const std::string name = ex::hint(*this);
  const std::string fields =
      g.node("Reshape", {x.name, g.constant_i64(name + ".fields_shape", {0, F, G, H * W})}, {},
             name + ".fields");
  const ExportAttrs attrs{{"kernel_shape", std::vector<int64_t>{G, 1}},
                          {"strides", std::vector<int64_t>{G, 1}}};
  const std::string pooled = g.node(o_.mode == GroupPoolMode::Max ? "MaxPool" : "AveragePool",
                                    {fields}, attrs, name + ".pool");
  return g.node("Reshape", {pooled, g.constant_i64(name + ".shape", {0, F, H, W})}, {}, name);
}

std::pair<Tensor, Tensor> GroupBatchNorm2d::eval_scale_shift_per_channel() const {
  const auto [scale, shift] = eval_scale_shift();  // refuses without running statistics
  const int64_t G = group_order(group_), F = scale.numel();
  const std::vector<double> s = scale.to_vector(), t = shift.to_vector();
  std::vector<double> s_all, t_all;
  for (int64_t f = 0; f < F; ++f)
    for (int64_t r = 0; r < G; ++r) {
      s_all.push_back(s[size_t(f)]);
      t_all.push_back(t[size_t(f)]);
    }
  return {Tensor::from_vector(s_all, Shape{F * G}), Tensor::from_vector(t_all, Shape{F * G})};
}

// y = scale[f] x + shift[f] on every orientation of field f: a BatchNormalization over the
// F |G| channels with the expanded scale and shift as its weight and bias, mean 0, variance 1
// and epsilon 0.
std::string GroupBatchNorm2d::export_graph(GraphSink& g, const ExportValue& x) {
  const auto [scale, shift] = eval_scale_shift_per_channel();
  const Shape c{scale.numel()};
  const std::string name = ex::hint(*this);
  return g.node("BatchNormalization",
                {x.name, g.constant(name + ".scale", scale), g.constant(name + ".shift", shift),
                 g.constant(name + ".zero_mean", Tensor::zeros(c)),
                 g.constant(name + ".unit_var", Tensor::ones(c))},
                {{"epsilon", 0.0}}, name);
}

}  // namespace physcnn::nn

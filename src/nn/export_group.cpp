// export_graph of the p4/p4m layers (nn/export.hpp), as plain ONNX operators: the lifting and
// group convolutions are one Conv with the transformed filter bank as a constant (the bank that
// forward hands conv2d); group pooling is Reshape + MaxPool / AveragePool over the orientation
// axis + Reshape (four dimensions, as forward's max_pool2d, which OpenCV 4.6 runs); group batch
// norm in evaluation mode is the per-field scale and shift expanded over the orientations.
#include "nn/export_ops.hpp"
#include "nn/group_conv.hpp"

namespace physcnn::nn {

namespace ex = exporting;

std::string GroupConvBase::export_graph(GraphSink& g, const ExportValue& x) {
  if (!weight_.defined()) materialise(x.shape[1], DType::F32);
  const Var bias = bank_bias();
  const int64_t p = resolved_padding();
  return ex::conv(g, x,
                  {.weight = filter_bank().value(),
                   .bias = bias.defined() ? bias.value() : Tensor(),
                   .stride = {o_.stride, o_.stride},
                   .pads = {p, p, p, p},
                   .dilation = {o_.dilation, o_.dilation},
                   .groups = o_.groups,
                   .padding_mode = o_.padding_mode},
                  ex::hint(*this));
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

// y = scale[f] x + shift[f] on every orientation of field f: a BatchNormalization over the
// F |G| channels with the expanded scale and shift as its weight and bias, mean 0, variance 1
// and epsilon 0.
std::string GroupBatchNorm2d::export_graph(GraphSink& g, const ExportValue& x) {
  const auto [scale, shift] = eval_scale_shift();  // refuses without running statistics
  const int64_t G = group_order(group_), F = scale.numel();
  const std::vector<double> s = scale.to_vector(), t = shift.to_vector();
  std::vector<double> s_all, t_all;
  for (int64_t f = 0; f < F; ++f)
    for (int64_t r = 0; r < G; ++r) {
      s_all.push_back(s[size_t(f)]);
      t_all.push_back(t[size_t(f)]);
    }
  const Shape c{F * G};
  const std::string name = ex::hint(*this);
  (void)x;
  return g.node("BatchNormalization",
                {x.name, g.constant(name + ".scale", Tensor::from_vector(s_all, c)),
                 g.constant(name + ".shift", Tensor::from_vector(t_all, c)),
                 g.constant(name + ".zero_mean", Tensor::zeros(c)),
                 g.constant(name + ".unit_var", Tensor::ones(c))},
                {{"epsilon", 0.0}}, name);
}

}  // namespace physcnn::nn

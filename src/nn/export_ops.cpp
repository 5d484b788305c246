// Shared pieces of the layers' export_graph: padding modes and convolution nodes.
#include "nn/export_ops.hpp"

#include <limits>

namespace physcnn::nn::exporting {

std::string hint(const Module& m, const std::string& suffix) {
  const std::string base = m.path().empty() ? m.type_name() : m.path();
  return suffix.empty() ? base : base + "." + suffix;
}

std::string pad_spatial(GraphSink& g, const ExportValue& x, PadMode mode,
                        const std::vector<int64_t>& pads, const std::string& name) {
  const int64_t nd = int64_t(pads.size()) / 2, rank = x.shape.rank();
  if (mode == PadMode::Reflect || mode == PadMode::Replicate) {
    std::vector<int64_t> full(size_t(2 * rank), 0);
    for (int64_t d = 0; d < nd; ++d) {
      full[size_t(rank - nd + d)] = pads[size_t(d)];
      full[size_t(2 * rank - nd + d)] = pads[size_t(nd + d)];
    }
    return g.node("Pad", {x.name, g.constant_i64(name + ".pads", full)},
                  {{"mode", std::string(mode == PadMode::Reflect ? "reflect" : "edge")}},
                  name + ".pad");
  }
  // Circular: the last `before` elements in front, the first `after` ones behind, per axis.
  std::string cur = x.name;
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t axis = rank - nd + d, before = pads[size_t(d)], after = pads[size_t(nd + d)];
    if (before == 0 && after == 0) continue;
    const std::string axes = g.constant_i64(name + ".axes", {axis});
    std::vector<std::string> parts;
    if (before > 0)
      parts.push_back(
          g.node("Slice",
                 {cur, g.constant_i64(name + ".starts", {-before}),
                  g.constant_i64(name + ".ends", {std::numeric_limits<int64_t>::max()}), axes},
                 {}, name + ".wrap_front"));
    parts.push_back(cur);
    if (after > 0)
      parts.push_back(g.node("Slice",
                             {cur, g.constant_i64(name + ".starts", {0}),
                              g.constant_i64(name + ".ends", {after}), axes},
                             {}, name + ".wrap_back"));
    cur = g.node("Concat", parts, {{"axis", axis}}, name + ".circular");
  }
  return cur;
}

std::string conv(GraphSink& g, const ExportValue& x, const ConvNode& c, const std::string& name) {
  std::string in = x.name;
  std::vector<int64_t> pads = c.pads;
  bool padded = false;
  for (int64_t p : pads) padded = padded || p != 0;
  if (c.padding_mode != PadMode::Zeros && padded) {
    in = pad_spatial(g, x, c.padding_mode, pads, name);
    pads.assign(pads.size(), 0);
  }
  const int64_t nd = c.weight.dim() - 2;
  std::vector<int64_t> kernel(c.weight.shape().dims().begin() + 2, c.weight.shape().dims().end());
  std::vector<std::string> inputs{in, g.constant(name + ".weight", c.weight)};
  if (c.bias.defined()) inputs.push_back(g.constant(name + ".bias", c.bias));
  (void)nd;
  return g.node("Conv", inputs,
                {{"kernel_shape", kernel},
                 {"strides", c.stride},
                 {"pads", pads},
                 {"dilations", c.dilation},
                 {"group", c.groups}},
                name);
}

void fold_scale_shift(ConvNode& c, const Tensor& scale, const Tensor& shift) {
  const std::vector<double> w = c.weight.to_vector(), s = scale.to_vector(), t = shift.to_vector();
  const std::vector<double> b =
      c.bias.defined() ? c.bias.to_vector() : std::vector<double>(s.size(), 0.0);
  const int64_t oc = c.weight.size(0), per = c.weight.numel() / oc;
  std::vector<double> w2(w.size()), b2(static_cast<size_t>(oc));
  for (int64_t o = 0; o < oc; ++o) {
    for (int64_t i = 0; i < per; ++i)
      w2[size_t(o * per + i)] = w[size_t(o * per + i)] * s[size_t(o)];
    b2[size_t(o)] = b[size_t(o)] * s[size_t(o)] + t[size_t(o)];
  }
  c.weight = Tensor::from_vector(w2, c.weight.shape());
  c.bias = Tensor::from_vector(b2, Shape{oc});
}

}  // namespace physcnn::nn::exporting

// export_graph of the hexagonal layers (nn/export.hpp): the same computation as their forward, in
// plain ONNX operators. The parity-dependent conv2d pair becomes two Conv nodes with the dense
// (masked) kernels as constants, whose even and odd columns are sliced out and interleaved
// again; hexagdly's stride becomes strided Slices; the pooling takes the Max over shifted
// slices of the input padded with -inf. Exact, and without broadcast constants (OpenCV 4.6).
#include <limits>

#include "nn/export_ops.hpp"
#include "nn/hex_grid.hpp"
#include "nn/hex_ops.hpp"
#include "nn/hexconv.hpp"
#include "nn/hexconv_p6.hpp"
#include "nn/hexpool.hpp"

namespace physcnn::nn {

namespace ex = exporting;

namespace {

std::string slice(GraphSink& g, const std::string& x, const std::vector<int64_t>& axes,
                  const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                  const std::vector<int64_t>& steps, const std::string& name) {
  return g.node("Slice",
                {x, g.constant_i64(name + ".starts", starts), g.constant_i64(name + ".ends", ends),
                 g.constant_i64(name + ".axes", axes), g.constant_i64(name + ".steps", steps)},
                {}, name);
}

// The (1,C,H,W) map whose even columns are `even` (1,C,H,(W+1)/2) and odd ones `odd`
// (1,C,H,W/2). Both are flattened to (N, C*H*w, 1, 1), concatenated on the last axis and read
// back as (N,C,H,2w): four dimensions and no broadcast constants, which OpenCV 4.6 needs.
std::string interleave_columns(GraphSink& g, const std::string& even, std::string odd, int64_t c,
                               int64_t h, int64_t w, const std::string& name) {
  const int64_t we = (w + 1) / 2;
  if (w == 1) return even;
  if (w % 2 == 1)  // one more column behind the odd ones; it is cut off again below
    odd = g.node("Concat", {odd, slice(g, even, {3}, {we - 1}, {we}, {1}, name + ".last_even")},
                 {{"axis", int64_t{3}}}, name + ".odd_filled");
  const std::string flat = g.constant_i64(name + ".flat_shape", {0, c * h * we, 1, 1});
  const std::string pairs = g.node("Concat",
                                   {g.node("Reshape", {even, flat}, {}, name + ".even_flat"),
                                    g.node("Reshape", {odd, flat}, {}, name + ".odd_flat")},
                                   {{"axis", int64_t{3}}}, name + ".pairs");
  const std::string y = g.node(
      "Reshape", {pairs, g.constant_i64(name + ".shape", {0, c, h, 2 * we})}, {}, name + ".woven");
  return w % 2 == 1 ? slice(g, y, {3}, {0}, {w}, {1}, name) : y;
}

// conv2d(x, even) in even columns, conv2d(x, odd) in odd ones (hex_parity_conv), stride 1,
// padding k with zeros or circular: two Conv nodes, the columns of each parity sliced out.
std::string parity_conv(GraphSink& g, const ExportValue& x, const Tensor& even, const Tensor& odd,
                        const Tensor& bias, int64_t k, bool periodic, const std::string& name) {
  const int64_t h = x.shape[2], w = x.shape[3];
  ex::ConvNode c{.weight = even,
                 .bias = bias,
                 .stride = {1, 1},
                 .pads = {k, k, k, k},
                 .dilation = {1, 1},
                 .groups = 1,
                 .padding_mode = periodic ? PadMode::Circular : PadMode::Zeros};
  const std::string on_even = ex::conv(g, x, c, name + ".even");
  if (w == 1) return on_even;
  c.weight = odd;
  const std::string on_odd = ex::conv(g, x, c, name + ".odd");
  return interleave_columns(g, slice(g, on_even, {3}, {0}, {w}, {2}, name + ".even_columns"),
                            slice(g, on_odd, {3}, {1}, {w}, {2}, name + ".odd_columns"),
                            even.size(0), h, w, name + ".parity");
}

// hex_stride_sample on a (1,C,H,W) value: output column J is column s*J, output row m is row
// s*m, plus s/2 in odd output columns.
std::string stride_sample(GraphSink& g, const ExportValue& y, int64_t s, const std::string& name) {
  if (s == 1) return y.name;
  const int64_t c = y.shape[1], h = y.shape[2], w = y.shape[3];
  const int64_t wo = (w - 1) / s + 1, shift = s / 2;
  const int64_t ho = wo == 1 ? (h - 1) / s + 1 : (h - 1 - shift) / s + 1;
  const std::string even =
      slice(g, y.name, {2, 3}, {0, 0}, {s * (ho - 1) + 1, w}, {s, 2 * s}, name + ".even_columns");
  if (wo == 1) return even;
  const std::string odd = slice(g, y.name, {2, 3}, {shift, s}, {shift + s * (ho - 1) + 1, w},
                                {s, 2 * s}, name + ".odd_columns");
  return interleave_columns(g, even, odd, c, ho, wo, name);
}

ExportValue full_resolution(const ExportValue& x, const std::string& name, int64_t channels) {
  return {name, Shape{1, channels, x.shape[2], x.shape[3]}};
}

}  // namespace

std::string HexConv2d::export_graph(GraphSink& g, const ExportValue& x) {
  if (!weight_.defined()) materialise(x.shape[1], DType::F32);
  const std::string name = ex::hint(*this);
  const std::string full = parity_conv(g, x, dense_kernel(0).value(), dense_kernel(1).value(),
                                       bias_.defined() ? bias_.value() : Tensor(), o_.radius,
                                       o_.boundary == HexBoundary::Periodic, name);
  return stride_sample(g, full_resolution(x, full, o_.out), o_.stride, name + ".stride");
}

std::string HexConv2dP6::export_graph(GraphSink& g, const ExportValue& x) {
  if (!weight_.defined()) materialise(x.shape[1], DType::F32);
  const std::string name = ex::hint(*this);
  const auto [even, odd, bias] = dense_bank();
  const std::string full =
      parity_conv(g, x, even.value(), odd.value(), bias.defined() ? bias.value() : Tensor(),
                  o_.radius, o_.boundary == HexBoundary::Periodic, name);
  return stride_sample(g, full_resolution(x, full, 6 * o_.out), o_.stride, name + ".stride");
}

// Each tap is a shifted slice of the input padded by k (with -inf outside a zero-boundary grid,
// as the pooling ignores those cells; circular when periodic), per column parity; Max over taps.
std::string HexPool2d::export_graph(GraphSink& g, const ExportValue& x) {
  const int64_t k = o_.radius, c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const int64_t kk = 2 * k + 1;
  const bool periodic = o_.boundary == HexBoundary::Periodic;
  const std::string name = ex::hint(*this);
  std::string padded = x.name;
  if (k > 0 && periodic) {
    padded = ex::pad_spatial(g, x, PadMode::Circular, {k, k, k, k}, name + ".wrap");
  } else if (k > 0) {
    const Tensor minus_inf =
        Tensor::from_vector(std::vector<double>{-std::numeric_limits<double>::infinity()}, Shape{});
    padded = g.node("Pad",
                    {x.name, g.constant_i64(name + ".pads", {0, 0, k, k, 0, 0, k, k}),
                     g.constant(name + ".minus_inf", minus_inf)},
                    {{"mode", std::string("constant")}}, name + ".pad");
  }
  std::string parts[2];
  for (int parity = 0; parity < (w > 1 ? 2 : 1); ++parity) {
    const Tensor s = hex_scatter(k, parity);
    const int64_t taps = s.size(0);
    std::vector<std::string> shifted;
    for (int64_t t = 0; t < taps; ++t) {
      int64_t j = 0;
      while (s.data<double>()[t * kk * kk + j] == 0.0) ++j;
      const int64_t kr = j / kk, kc = j % kk + parity;
      shifted.push_back(slice(g, padded, {2, 3}, {kr, kc}, {kr + h, kc + w - parity}, {1, 2},
                              name + (parity ? ".odd" : ".even") + ".tap" + std::to_string(t)));
    }
    parts[parity] =
        taps == 1 ? shifted[0] : g.node("Max", shifted, {}, name + (parity ? ".odd" : ".even"));
  }
  const std::string pooled = interleave_columns(g, parts[0], parts[1], c, h, w, name + ".parity");
  return stride_sample(g, {pooled, Shape{1, c, h, w}}, o_.stride, name + ".stride");
}

}  // namespace physcnn::nn

// Shape ops that move data: concat/stack/split along a dimension, and padding of the trailing
// one or two dimensions with zeros, circular wrap, reflection or replication.
#include <algorithm>
#include <cstring>

#include "core/parallel.hpp"
#include "tensor/ops.hpp"

namespace physcnn {

Tensor concat(const std::vector<Tensor>& parts, int64_t dim) {
  PHYSCNN_CHECK_ARG(!parts.empty(), "concat of an empty list");
  const Tensor& first = parts[0];
  dim = first.shape().normalize(dim);
  std::vector<int64_t> out_dims = first.shape().dims();
  out_dims[static_cast<size_t>(dim)] = 0;
  for (const Tensor& p : parts) {
    PHYSCNN_CHECK_ARG(p.dtype() == first.dtype(), "concat: mixed dtypes");
    PHYSCNN_CHECK_SHAPE(p.dim() == first.dim(), "concat: shapes ", first.shape().str(), " and ",
                        p.shape().str(), " have different ranks");
    for (int64_t d = 0; d < p.dim(); ++d)
      PHYSCNN_CHECK_SHAPE(d == dim || p.size(d) == first.size(d), "concat along dimension ", dim,
                          ": shapes ", first.shape().str(), " and ", p.shape().str(),
                          " differ in dimension ", d);
    out_dims[static_cast<size_t>(dim)] += p.size(dim);
  }
  Tensor out = Tensor::empty(Shape(out_dims), first.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= out_dims[d];
  for (int64_t d = dim + 1; d < first.dim(); ++d) inner *= out_dims[d];
  const size_t es = dtype_size(first.dtype());
  const int64_t out_row = out_dims[dim] * inner;
  int64_t at = 0;
  for (const Tensor& p0 : parts) {
    const Tensor p = p0.contiguous();
    const int64_t row = p.size(dim) * inner;
    PHYSCNN_DISPATCH(p.dtype(), T, {
      const T* src = p.data<T>();
      T* dst = out.data<T>();
      parallel_for(0, outer, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(1, row)),
                   [&](int64_t lo, int64_t hi) {
                     for (int64_t o = lo; o < hi; ++o)
                       std::memcpy(dst + o * out_row + at, src + o * row,
                                   static_cast<size_t>(row) * es);
                   });
    });
    at += row;
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& parts, int64_t dim) {
  std::vector<Tensor> expanded;
  for (const Tensor& p : parts) expanded.push_back(p.unsqueeze(dim));
  return concat(expanded, dim);
}

std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim) {
  dim = a.shape().normalize(dim);
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  PHYSCNN_CHECK_SHAPE(total == a.size(dim), "split: sizes add to ", total, " but dimension ", dim,
                      " of ", a.shape().str(), " has ", a.size(dim));
  // Each piece is a slice copied by contiguous runs (Tensor::copy_): one memcpy per outer
  // index when the split dimension is not the last.
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(a.slice(dim, at, at + s).contiguous());
    at += s;
  }
  return out;
}

const char* pad_mode_name(PadMode m) {
  switch (m) {
    case PadMode::Zeros:
      return "zeros";
    case PadMode::Circular:
      return "circular";
    case PadMode::Reflect:
      return "reflect";
    case PadMode::Replicate:
      return "replicate";
  }
  return "?";
}

namespace {

// For one padded dimension of extent n: the input index each output index copies, or -1 for
// the fill value.
std::vector<int64_t> pad_index_map(int64_t n, int64_t before, int64_t after, PadMode mode) {
  std::vector<int64_t> map(static_cast<size_t>(n + before + after));
  for (int64_t o = 0; o < n + before + after; ++o) {
    int64_t i = o - before;
    switch (mode) {
      case PadMode::Zeros:
        if (i < 0 || i >= n) i = -1;
        break;
      case PadMode::Circular:
        i = ((i % n) + n) % n;
        break;
      case PadMode::Reflect:
        if (i < 0) i = -i;
        if (i >= n) i = 2 * (n - 1) - i;
        break;
      case PadMode::Replicate:
        i = std::clamp<int64_t>(i, 0, n - 1);
        break;
    }
    map[static_cast<size_t>(o)] = i;
  }
  return map;
}

struct PadPlan {
  int64_t outer, IH, IW, OH, OW;
  int64_t PW0;  // padding before each row: output columns [PW0, PW0 + IW) copy the input row
  std::vector<int64_t> map_h, map_w;
  Shape out_shape;
};

PadPlan plan_pad(const Shape& in, const std::vector<int64_t>& pads, PadMode mode) {
  PHYSCNN_CHECK_ARG(pads.size() == 2 || pads.size() == 4, "pad: expected 2 or 4 pad values, got ",
                    pads.size());
  const int64_t k = static_cast<int64_t>(pads.size()) / 2;
  PHYSCNN_CHECK_SHAPE(in.rank() >= k, "pad: ", k, " padded dimensions for shape ", in.str());
  std::vector<int64_t> out_dims = in.dims();
  for (int64_t j = 0; j < k; ++j) {
    const int64_t d = in.rank() - 1 - j;
    const int64_t before = pads[2 * j], after = pads[2 * j + 1], n = in[d];
    PHYSCNN_CHECK_ARG(before >= 0 && after >= 0, "pad: negative padding (", before, ", ", after,
                      ")");
    if (mode == PadMode::Circular)
      PHYSCNN_CHECK_SHAPE(before <= n && after <= n, "circular padding (", before, ", ", after,
                          ") is larger than the dimension it wraps (", n, ") of input ", in.str());
    if (mode == PadMode::Reflect)
      PHYSCNN_CHECK_SHAPE(before < n && after < n, "reflect padding (", before, ", ", after,
                          ") must be smaller than the dimension it reflects (", n, ") of input ",
                          in.str());
    if (mode == PadMode::Replicate)
      PHYSCNN_CHECK_SHAPE(n > 0, "replicate padding of an empty dimension of ", in.str());
    out_dims[static_cast<size_t>(d)] += before + after;
  }
  PadPlan p;
  p.IW = in[-1];
  p.OW = out_dims.back();
  p.PW0 = pads[0];
  p.map_w = pad_index_map(p.IW, pads[0], pads[1], mode);
  if (k == 2) {
    p.IH = in[-2];
    p.OH = out_dims[out_dims.size() - 2];
    p.map_h = pad_index_map(p.IH, pads[2], pads[3], mode);
  } else {
    p.IH = p.OH = 1;
    p.map_h = {0};
  }
  p.outer = in.numel() / std::max<int64_t>(1, p.IH * p.IW);
  p.out_shape = Shape(out_dims);
  return p;
}

}  // namespace

Tensor pad(const Tensor& a0, const std::vector<int64_t>& pads, PadMode mode, double value) {
  const PadPlan p = plan_pad(a0.shape(), pads, mode);
  const Tensor a = a0.contiguous();
  Tensor out = Tensor::empty(p.out_shape, a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    const T* src = a.data<T>();
    T* dst = out.data<T>();
    const T fill = T(value);
    parallel_for(0, p.outer, 16, [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o)
        for (int64_t oh = 0; oh < p.OH; ++oh) {
          T* row = dst + (o * p.OH + oh) * p.OW;
          const int64_t ih = p.map_h[oh];
          if (ih < 0) {
            std::fill(row, row + p.OW, fill);
            continue;
          }
          const T* srow = src + (o * p.IH + ih) * p.IW;
          // The row's interior is a plain copy whatever the mode; only the edges use the map.
          std::copy(srow, srow + p.IW, row + p.PW0);
          auto edge = [&](int64_t ow) {
            const int64_t iw = p.map_w[ow];
            row[ow] = iw < 0 ? fill : srow[iw];
          };
          for (int64_t ow = 0; ow < p.PW0; ++ow) edge(ow);
          for (int64_t ow = p.PW0 + p.IW; ow < p.OW; ++ow) edge(ow);
        }
    });
  });
  return out;
}

Tensor pad_backward(const Tensor& grad0, const Shape& input_shape, const std::vector<int64_t>& pads,
                    PadMode mode) {
  const PadPlan p = plan_pad(input_shape, pads, mode);
  PHYSCNN_CHECK_SHAPE(grad0.shape() == p.out_shape, "pad_backward: gradient ", grad0.shape().str(),
                      " does not match padded shape ", p.out_shape.str());
  const Tensor grad = grad0.contiguous();
  Tensor out = Tensor::zeros(input_shape, grad.dtype());
  PHYSCNN_DISPATCH(grad.dtype(), T, {
    const T* g = grad.data<T>();
    T* dst = out.data<T>();
    parallel_for(0, p.outer, 16, [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o)
        for (int64_t oh = 0; oh < p.OH; ++oh) {
          const int64_t ih = p.map_h[oh];
          if (ih < 0) continue;
          const T* grow = g + (o * p.OH + oh) * p.OW;
          T* drow = dst + (o * p.IH + ih) * p.IW;
          // Left edge, interior (a plain vector add), right edge: the output columns in
          // order, so every sum rounds as a single left-to-right loop would.
          auto edge = [&](int64_t ow) {
            const int64_t iw = p.map_w[ow];
            if (iw >= 0) drow[iw] += grow[ow];
          };
          for (int64_t ow = 0; ow < p.PW0; ++ow) edge(ow);
          const T* gin = grow + p.PW0;
          for (int64_t iw = 0; iw < p.IW; ++iw) drow[iw] += gin[iw];
          for (int64_t ow = p.PW0 + p.IW; ow < p.OW; ++ow) edge(ow);
        }
    });
  });
  return out;
}

}  // namespace physcnn

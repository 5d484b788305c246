// The invariance probe: run x and T x (shift, rot90, flip) and compare every layer's output with
// T applied to the original output (equivariance) and with the original output (invariance).
#include <cmath>
#include <map>
#include <sstream>

#include "nn/group_conv.hpp"
#include "nn/inspect.hpp"
#include "nn/inspect_detail.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn {

namespace {

int64_t wrap(int64_t i, int64_t n) {
  const int64_t r = i % n;
  return r < 0 ? r + n : r;
}

// in (B, H, W) -> out (B, OH, OW); OH, OW = W, H for an odd number of quarter turns.
template <class T>
void transform_planes(const T* in, T* out, int64_t B, int64_t H, int64_t W,
                      const ProbeTransform& t) {
  const int turns = static_cast<int>(wrap(t.quarter_turns, 4));
  const bool swap = t.kind == ProbeKind::Rotate90 && turns % 2 == 1;
  const int64_t OH = swap ? W : H, OW = swap ? H : W;
  for (int64_t b = 0; b < B; ++b) {
    const T* src = in + b * H * W;
    T* dst = out + b * OH * OW;
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        int64_t si = i, sj = j;
        switch (t.kind) {
          case ProbeKind::ShiftPeriodic:
            si = wrap(i - t.dy, H), sj = wrap(j - t.dx, W);
            break;
          case ProbeKind::ShiftZero:
            si = i - t.dy, sj = j - t.dx;
            break;
          case ProbeKind::Rotate90:  // numpy.rot90 on the last two axes
            if (turns == 1) si = j, sj = W - 1 - i;
            if (turns == 2) si = H - 1 - i, sj = W - 1 - j;
            if (turns == 3) si = H - 1 - j, sj = i;
            break;
          case ProbeKind::FlipHorizontal:
            sj = W - 1 - j;
            break;
          case ProbeKind::FlipVertical:
            si = H - 1 - i;
            break;
        }
        const bool inside = si >= 0 && si < H && sj >= 0 && sj < W;
        dst[i * OW + j] = inside ? src[si * W + sj] : T(0);
      }
  }
}

struct Run {
  std::vector<LayerOutput> layers;
  std::vector<int64_t> orders;  // per layer: |G| when its output is fields over a group, else 0
  Tensor output;
};

// One forward recording every module's output except the root's and except a container's
// output that is its last child's (a Sequential hands that on unchanged). A layer's output is
// fields over a group when a group layer made it, or when a leaf layer kept the channel count
// of such an input (ReLU, dropout, spatial pooling act on every orientation alike).
Run record(Module& model, const Tensor& x) {
  Run r;
  const autograd::Node* last = nullptr;
  std::map<const autograd::Node*, int64_t> order_of;
  detail::ObserverScope observe([&](Module& m, const Var& in, const Var& y) {
    int64_t order = group_output_order(m);
    if (order == 0 && m.children().empty() && in.defined() && y.dim() == 4 && in.dim() == 4 &&
        y.size(1) == in.size(1)) {
      const auto it = order_of.find(in.node().get());
      if (it != order_of.end()) order = it->second;
    }
    if (order > 0) order_of[y.node().get()] = order;
    if (&m != &model && y.node().get() != last) {
      r.layers.push_back({m.path(), m.type_name(), m.children().empty(), y.value()});
      r.orders.push_back(order);
    }
    last = y.node().get();
    return y;
  });
  r.output = model(Var(x)).value();
  return r;
}

double agreement(const Tensor& a, const Tensor& b) {
  if (a.dim() != 2 || a.shape() != b.shape()) return kNotDefined;
  const auto pa = argmax(a, 1), pb = argmax(b, 1);
  int64_t same = 0;
  for (size_t i = 0; i < pa.size(); ++i) same += pa[i] == pb[i];
  return static_cast<double>(same) / static_cast<double>(pa.size());
}

// The p4m element (nn/group.hpp) a probe transform is, or -1 for a shift.
int64_t group_element(const ProbeTransform& t) {
  switch (t.kind) {
    case ProbeKind::Rotate90:
      return wrap(t.quarter_turns, 4);
    case ProbeKind::FlipHorizontal:
      return 4;  // numpy.fliplr = f
    case ProbeKind::FlipVertical:
      return 6;  // numpy.flipud = r^2 f
    default:
      return -1;
  }
}

}  // namespace

std::string ProbeTransform::name() const {
  std::ostringstream os;
  switch (kind) {
    case ProbeKind::ShiftPeriodic:
      os << "shift periodic (" << dy << "," << dx << ")";
      break;
    case ProbeKind::ShiftZero:
      os << "shift zero-fill (" << dy << "," << dx << ")";
      break;
    case ProbeKind::Rotate90:
      os << "rot90 x" << wrap(quarter_turns, 4);
      break;
    case ProbeKind::FlipHorizontal:
      os << "flip horizontal";
      break;
    case ProbeKind::FlipVertical:
      os << "flip vertical";
      break;
  }
  return os.str();
}

Tensor apply_transform(const Tensor& x, const ProbeTransform& t) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() >= 2 && x.numel() > 0, "apply_transform(", t.name(),
                      "): needs a (..., H, W) tensor, got shape ",
                      x.defined() ? x.shape().str() : "undefined");
  const Tensor in = x.contiguous();
  const int64_t H = in.size(in.dim() - 2), W = in.size(in.dim() - 1), B = in.numel() / (H * W);
  std::vector<int64_t> dims = in.shape().dims();
  if (t.kind == ProbeKind::Rotate90 && wrap(t.quarter_turns, 4) % 2 == 1)
    std::swap(dims[dims.size() - 2], dims[dims.size() - 1]);
  Tensor out = Tensor::empty(Shape(dims), in.dtype());
  PHYSCNN_DISPATCH(in.dtype(), T,
                   { transform_planes<T>(in.data<T>(), out.data<T>(), B, H, W, t); });
  return out;
}

bool transform_for_layer(const ProbeTransform& t, int64_t H, int64_t W, int64_t h, int64_t w,
                         ProbeTransform& out) {
  out = t;
  if (t.kind != ProbeKind::ShiftPeriodic && t.kind != ProbeKind::ShiftZero) return true;
  // A shift by dy input pixels is a shift by dy h / H at a layer of height h: whole numbers only.
  // A map of one pixel (after global pooling) is unchanged by any shift.
  if (h == 1 && w == 1) {
    out.dy = out.dx = 0;
    return true;
  }
  if ((t.dy * h) % H != 0 || (t.dx * w) % W != 0) return false;
  out.dy = t.dy * h / H;
  out.dx = t.dx * w / W;
  return true;
}

double relative_change(const Tensor& a, const Tensor& b) {
  PHYSCNN_CHECK_SHAPE(a.shape() == b.shape(), "relative_change: shapes differ (", a.shape().str(),
                      " vs ", b.shape().str(), ")");
  const auto va = a.to_vector(), vb = b.to_vector();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    diff += (va[i] - vb[i]) * (va[i] - vb[i]);
    norm += vb[i] * vb[i];
  }
  if (diff == 0) return 0;
  return norm == 0 ? INFINITY : std::sqrt(diff / norm);
}

std::vector<ProbeResult> probe_invariance(Module& model, const Tensor& x,
                                          const std::vector<ProbeTransform>& transforms) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() == 4 && x.size(0) > 0,
                      "probe_invariance: input must be (N, C, H, W), got shape ",
                      x.defined() ? x.shape().str() : "undefined");
  detail::EvalScope eval(model);
  autograd::NoGradGuard no_grad;
  const int64_t H = x.size(2), W = x.size(3);
  const Run base = record(model, x);
  std::vector<ProbeResult> results;
  for (const auto& t : transforms) {
    const Run moved = record(model, apply_transform(x, t));
    PHYSCNN_CHECK_ARG(moved.layers.size() == base.layers.size(), "probe_invariance(", t.name(),
                      "): the transformed input ran ", moved.layers.size(),
                      " layers, the original ", base.layers.size());
    ProbeResult r{.transform = t};
    for (size_t i = 0; i < base.layers.size(); ++i) {
      const Tensor& b = base.layers[i].value;
      const Tensor& m = moved.layers[i].value;
      ProbeLayer row{.path = base.layers[i].path, .type = base.layers[i].type};
      row.shape = Shape(std::vector<int64_t>(b.shape().dims().begin() + 1, b.shape().dims().end()));
      if (m.shape() == b.shape()) row.invariance = relative_change(m, b);
      ProbeTransform tl;
      const int64_t order = base.orders[i];
      const int64_t e = group_element(t);
      if (order > 0 && e >= 0) {
        // Fields over the group: the transform turns the maps and permutes the orientations.
        row.group_order = order;
        if (e < order && b.size(2) == b.size(3))
          row.equivariance = relative_change(m, group_act(b, e, order));
      } else if (b.dim() == 4 && transform_for_layer(t, H, W, b.size(2), b.size(3), tl)) {
        const Tensor tb = apply_transform(b, tl);
        if (tb.shape() == m.shape()) row.equivariance = relative_change(m, tb);
      }
      r.layers.push_back(std::move(row));
    }
    if (moved.output.shape() == base.output.shape())
      r.output_change = relative_change(moved.output, base.output);
    r.agreement = agreement(moved.output, base.output);
    results.push_back(std::move(r));
  }
  return results;
}

std::vector<ProbeTransform> default_probe_transforms(int64_t H, int64_t W, int64_t stride) {
  std::vector<ProbeTransform> t;
  for (auto kind : {ProbeKind::ShiftPeriodic, ProbeKind::ShiftZero}) {
    t.push_back({.kind = kind, .dy = 1});
    t.push_back({.kind = kind, .dx = 1});
    if (stride > 1) {
      t.push_back({.kind = kind, .dy = stride});
      t.push_back({.kind = kind, .dx = stride});
    }
  }
  if (H == W) t.push_back({.kind = ProbeKind::Rotate90, .quarter_turns = 1});
  t.push_back({.kind = ProbeKind::Rotate90, .quarter_turns = 2});
  t.push_back({.kind = ProbeKind::FlipHorizontal});
  t.push_back({.kind = ProbeKind::FlipVertical});
  return t;
}

}  // namespace physcnn::nn

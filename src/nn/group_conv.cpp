// The p4 / p4m layers: filter banks built by one gather (autograd::take) from the learnt
// weights, then the ordinary conv2d; group pooling and group batch norm as reshapes around the
// ordinary ops.
#include "nn/group_conv.hpp"

#include <algorithm>
#include <cstring>

namespace physcnn::nn {

namespace ag = physcnn::autograd;

// --- GroupConvBase ----------------------------------------------------------------------------

GroupConvBase::GroupConvBase(const GroupConv2dOptions& o, bool lifting, Rng rng)
    : o_(o), lifting_(lifting), rng_(rng) {
  const char* op = lifting ? "GroupLiftConv2d" : "GroupConv2d";
  PHYSCNN_CHECK_ARG(o.out > 0, op, ": out fields must be > 0, got ", o.out);
  PHYSCNN_CHECK_ARG(o.in >= 0, op, ": in must be >= 0 (0 = infer), got ", o.in);
  PHYSCNN_CHECK_ARG(o.groups > 0 && o.out % o.groups == 0 && o.in % o.groups == 0, op, ": in ",
                    o.in, " and out ", o.out, " must be divisible by groups ", o.groups);
  PHYSCNN_CHECK_ARG(o.kernel > 0, op, ": kernel must be > 0, got ", o.kernel);
  PHYSCNN_CHECK_ARG(o.stride > 0 && o.dilation > 0, op, ": stride and dilation must be > 0");
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Explicit || o.padding.values.size() == 1, op,
                    ": padding must be one integer (symmetric, so that turns map the padded ",
                    "map onto itself), got ", o.padding.values.size(), " values");
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Explicit || o.padding.values[0] >= 0, op,
                    ": padding ", o.padding.values[0], " < 0");
  PHYSCNN_CHECK_ARG(o.padding.kind != PadSpec::Kind::Same ||
                        (o.stride == 1 && (o.dilation * (o.kernel - 1)) % 2 == 0),
                    op, ": padding \"same\" needs stride 1 and an odd kernel span (symmetric), ",
                    "got kernel ", o.kernel, ", dilation ", o.dilation, ", stride ", o.stride);
  register_parameter("weight", &weight_);
  if (o.bias) register_parameter("bias", &bias_);
  if (o.in > 0) materialise(lifting ? o.in : o.in * order(), DType::F32);
}

int64_t GroupConvBase::resolved_padding() const {
  switch (o_.padding.kind) {
    case PadSpec::Kind::Valid:
      return 0;
    case PadSpec::Kind::Same:
      return o_.dilation * (o_.kernel - 1) / 2;
    case PadSpec::Kind::Explicit:
      break;
  }
  return o_.padding.values[0];
}

void GroupConvBase::materialise(int64_t in_channels, DType dtype) {
  const int64_t G = order(), K = o_.kernel;
  PHYSCNN_CHECK_SHAPE(lifting_ || in_channels % G == 0, "input has ", in_channels,
                      " channels, not a whole number of fields over a group of order ", G);
  const int64_t fields = lifting_ ? in_channels : in_channels / G;
  PHYSCNN_CHECK_SHAPE(fields % o_.groups == 0, "input has ", fields,
                      lifting_ ? " channels" : " fields", ", not divisible by groups ", o_.groups);
  const int64_t IC = fields / o_.groups, OC = o_.out, GI = lifting_ ? 1 : G;
  // The bank is a conv2d weight (OC G, IC GI, K, K): its fan-in is PyTorch's for that conv.
  const int64_t fan_in = IC * GI * K * K;
  const Shape ws = lifting_ ? Shape{OC, IC, K, K} : Shape{OC, IC, G, K, K};
  weight_ = make_parameter(uniform_init(ws, fan_in, rng_, dtype));
  if (o_.bias) bias_ = make_parameter(uniform_init(Shape{OC}, fan_in, rng_, dtype));

  // bank[c G + r, i GI + h, y, x] = weight[c, i, r^-1 h, source_r(y, x)]
  auto index = std::make_shared<std::vector<int64_t>>();
  index->reserve(static_cast<size_t>(OC * G * IC * GI * K * K));
  for (int64_t c = 0; c < OC; ++c)
    for (int64_t r = 0; r < G; ++r)
      for (int64_t i = 0; i < IC; ++i)
        for (int64_t h = 0; h < GI; ++h) {
          const int64_t plane =
              lifting_ ? c * IC + i : (c * IC + i) * G + group_mul(group_inverse(r), h);
          for (int64_t y = 0; y < K; ++y)
            for (int64_t x = 0; x < K; ++x) {
              const auto [sy, sx] = group_source(r, y, x, K);
              index->push_back((plane * K + sy) * K + sx);
            }
        }
  bank_index_ = std::move(index);
  bank_shape_ = Shape{OC * G, IC * GI, K, K};
  auto bias_index = std::make_shared<std::vector<int64_t>>();
  for (int64_t c = 0; c < OC; ++c)
    for (int64_t r = 0; r < G; ++r) bias_index->push_back(c);
  bias_index_ = std::move(bias_index);
}

namespace {

bool same_values(const Tensor& a, const Tensor& b) {
  if (!a.defined() || a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  const size_t bytes = static_cast<size_t>(ca.numel()) * dtype_size(ca.dtype());
  bool same = false;
  PHYSCNN_DISPATCH(ca.dtype(), T, { same = std::memcmp(ca.data<T>(), cb.data<T>(), bytes) == 0; });
  return same;
}

}  // namespace

Var GroupConvBase::filter_bank() const {
  PHYSCNN_CHECK_ARG(weight_.defined(), context(), ": no weights yet (run the layer once)");
  if (ag::grad_enabled() && weight_.requires_grad()) {
    ++bank_builds_;
    return ag::take(weight_, bank_index_, bank_shape_);
  }
  const std::lock_guard<std::mutex> lock(cache_mutex_);
  if (!same_values(cached_weight_, weight_.value())) {
    ++bank_builds_;
    cached_weight_ = weight_.value().clone();
    cached_bank_ = ag::take(cached_weight_, *bank_index_, bank_shape_);
  }
  return Var(cached_bank_);
}

Var GroupConvBase::bank_bias() const {
  if (!bias_.defined()) return Var();
  return ag::take(bias_, bias_index_, Shape{o_.out * order()});
}

Var GroupConvBase::forward(const Var& x) {
  const int64_t G = order();
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, "expects a (N,C,H,W) input, got ", x.shape().str());
  if (!weight_.defined()) materialise(x.size(1), x.dtype());
  const int64_t expected = bank_shape_[1] * o_.groups;
  const std::string per = lifting_ ? ""
                                   : " (" + std::to_string(expected / G) + " fields x " +
                                         std::to_string(G) + " orientations)";
  PHYSCNN_CHECK_SHAPE(x.size(1) == expected, "input has ", x.size(1), " channels, weight expects ",
                      expected, per, " (input ", x.shape().str(), ", weight ",
                      weight_.shape().str(), ")");
  const int64_t p = resolved_padding(), span = o_.dilation * (o_.kernel - 1) + 1;
  PHYSCNN_CHECK_SHAPE(x.size(2) + 2 * p >= span && x.size(3) + 2 * p >= span, "kernel ", o_.kernel,
                      " (dilation ", o_.dilation, ") spans ", span, " but the padded input is ",
                      x.size(2) + 2 * p, "x", x.size(3) + 2 * p, " (input ", x.shape().str(),
                      ", padding ", p, ")");
  ag::Conv2dArgs args{.stride = {o_.stride, o_.stride},
                      .padding = {p, p, p, p},
                      .padding_mode = o_.padding_mode,
                      .dilation = {o_.dilation, o_.dilation},
                      .groups = o_.groups};
  return ag::conv2d(x, filter_bank(), bank_bias(), args);
}

int64_t GroupConvBase::macs(const Shape&, const Shape& out) const {
  if (!weight_.defined() || out.rank() != 4) return 0;
  return out[1] * out[2] * out[3] * bank_shape_[1] * o_.kernel * o_.kernel;
}

// --- GroupPool --------------------------------------------------------------------------------

Var GroupPool::forward(const Var& x) {
  const int64_t G = group_order(o_.group);
  PHYSCNN_CHECK_SHAPE(x.dim() == 4 && x.size(1) % G == 0, "expects (N, F |G|, H, W) with |G| = ", G,
                      ", got ", x.shape().str());
  const int64_t N = x.size(0), F = x.size(1) / G, H = x.size(2), W = x.size(3);
  const Var fields = ag::reshape(x, Shape{N, F, G, H * W});
  if (o_.mode == GroupPoolMode::Mean) return ag::reshape(ag::mean(fields, {2}), Shape{N, F, H, W});
  // Max over the orientation axis: a (G x 1) max pooling of the (G, H W) plane.
  const Var m = ag::max_pool2d(fields, ag::Pool2dArgs{.kernel = {G, 1}});
  return ag::reshape(m, Shape{N, F, H, W});
}

// --- GroupBatchNorm2d -------------------------------------------------------------------------

Var GroupBatchNorm2d::forward(const Var& x) {
  const int64_t G = group_order(group_);
  PHYSCNN_CHECK_SHAPE(x.dim() == 4 && x.size(1) % G == 0, "expects (N, F |G|, H, W) with |G| = ", G,
                      ", got ", x.shape().str());
  const int64_t N = x.size(0), F = x.size(1) / G, H = x.size(2), W = x.size(3);
  const Var y = BatchNorm::forward(ag::reshape(x, Shape{N, F, G * H, W}));
  return ag::reshape(y, x.shape());
}

int64_t group_output_order(const Module& m) {
  if (const auto* c = dynamic_cast<const GroupConvBase*>(&m)) return c->order();
  if (const auto* b = dynamic_cast<const GroupBatchNorm2d*>(&m)) return group_order(b->group());
  return 0;
}

}  // namespace physcnn::nn

// Losses: mean squared error (composed), cross-entropy from logits with a fused
// log-softmax / NLL / label-smoothing forward and its hand-written backward, and binary
// cross-entropy with logits in the overflow-free form.
#include <cmath>
#include <limits>
#include <sstream>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "kernels/softmax.hpp"

namespace physcnn::autograd {

namespace {

// The multi-index of flat position i in shape s, printed as [n,d1,...].
std::string index_str(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()));
  for (int64_t d = s.rank() - 1; d >= 0; --d) {
    idx[size_t(d)] = i % s[d];
    i /= s[d];
  }
  std::ostringstream os;
  os << "[";
  for (size_t k = 0; k < idx.size(); ++k) os << (k ? "," : "") << idx[k];
  os << "]";
  return os.str();
}

}  // namespace

Var mse_loss(const Var& input, const Var& target, Reduction reduction) {
  PHYSCNN_CHECK_ARG(input.defined() && target.defined(), "mse_loss: undefined input or target");
  PHYSCNN_CHECK_SHAPE(input.shape() == target.shape(), "mse_loss: input ", input.shape().str(),
                      " and target ", target.shape().str(), " differ in shape");
  PHYSCNN_CHECK_ARG(input.dtype() == target.dtype(), "mse_loss: input is ",
                    dtype_name(input.dtype()), ", target ", dtype_name(target.dtype()));
  const Var sq = square(sub(input, target));
  switch (reduction) {
    case Reduction::Mean:
      return mean(sq);
    case Reduction::Sum:
      return sum(sq);
    case Reduction::None:
      return sq;
  }
  return sq;
}

// ---- cross-entropy ---------------------------------------------------------------------------
// With log-probabilities lp = log_softmax(logits) over C classes, per position i with target t
// (w = class weights, 1 if none; ignored positions contribute 0):
//   nll_i    = -w_t lp_t                 smooth_i = -sum_c w_c lp_c
//   loss_i   = (1 - eps) nll_i + eps / C * smooth_i
// Mean divides both terms by W = sum of w_t over the non-ignored positions (their count without
// weights), which is what PyTorch 1.13's cross_entropy computes (LossNLL.cpp,
// cross_entropy_loss_label_smoothing). The gradient of loss_i with respect to logit c is
//   a_i w_t (p_c - [c == t]) + b_i (p_c sum_k w_k - w_c)
// with p = exp(lp) and a_i, b_i the coefficients of nll_i and smooth_i in the reduced loss.

namespace {

struct CeLayout {
  int64_t N = 0, C = 0, S = 1;  // logits viewed as (N, C, S)
};

// Reads the targets as class indices; validates integrality and range. Returns -1 for ignored.
std::vector<int64_t> read_targets(const Tensor& target0, const Shape& ls, const CeLayout& L,
                                  int64_t ignore_index) {
  const Tensor target = target0.contiguous();
  std::vector<int64_t> t(static_cast<size_t>(L.N * L.S));
  PHYSCNN_DISPATCH(target.dtype(), T, {
    const T* pt = target.data<T>();
    for (int64_t i = 0; i < L.N * L.S; ++i) {
      const double v = double(pt[i]);
      PHYSCNN_CHECK_ARG(std::isfinite(v) && v == std::floor(v), "cross_entropy: target ", v,
                        " at position ", index_str(i, target.shape()),
                        " is not an integer class index (logits ", ls.str(), ")");
      const int64_t k = static_cast<int64_t>(v);
      if (k == ignore_index) {
        t[size_t(i)] = -1;
        continue;
      }
      PHYSCNN_CHECK_ARG(k >= 0 && k < L.C, "cross_entropy: target ", k, " at position ",
                        index_str(i, target.shape()), " is out of range [0, ", L.C, ") for logits ",
                        ls.str(), " (ignore_index ", ignore_index, ")");
      t[size_t(i)] = k;
    }
  });
  return t;
}

}  // namespace

Var cross_entropy(const Var& logits, const Tensor& target, const CrossEntropyArgs& args) {
  PHYSCNN_CHECK_ARG(logits.defined() && target.defined(), "cross_entropy: undefined input");
  const Shape ls = logits.shape();
  PHYSCNN_CHECK_SHAPE(ls.rank() >= 2, "cross_entropy: logits must be (N,C) or (N,C,d1,...), got ",
                      ls.str());
  std::vector<int64_t> ts{ls[0]};
  CeLayout L{.N = ls[0], .C = ls[1], .S = 1};
  for (int64_t d = 2; d < ls.rank(); ++d) {
    ts.push_back(ls[d]);
    L.S *= ls[d];
  }
  PHYSCNN_CHECK_SHAPE(target.shape() == Shape(ts), "cross_entropy: target has shape ",
                      target.shape().str(), ", expected ", Shape(ts).str(), " for logits ",
                      ls.str());
  const double eps = args.label_smoothing;
  PHYSCNN_CHECK_ARG(eps >= 0.0 && eps <= 1.0,
                    "cross_entropy: label_smoothing must be in [0, 1], got ", eps);
  std::vector<double> w(static_cast<size_t>(L.C), 1.0);
  const bool weighted = args.class_weights.defined();
  if (weighted) {
    PHYSCNN_CHECK_SHAPE(args.class_weights.dim() == 1 && args.class_weights.size(0) == L.C,
                        "cross_entropy: class_weights has shape ", args.class_weights.shape().str(),
                        ", expected [", L.C, "] for logits ", ls.str());
    w = args.class_weights.to_vector();
  }
  std::vector<int64_t> t = read_targets(target, ls, L, args.ignore_index);

  // Fused forward: log-softmax over C, then the per-position terms.
  const DType dt = logits.dtype();
  const Tensor xv = logits.value().contiguous();
  Tensor lp = Tensor::empty(ls, dt);
  const int64_t P = L.N * L.S;
  std::vector<double> nll(size_t(P), 0.0), smooth(size_t(P), 0.0);
  double W = 0;  // sum of w_t over non-ignored positions
  PHYSCNN_DISPATCH(dt, T, {
    kernels::softmax_forward<T>(xv.data<T>(), lp.data<T>(), L.N, L.C, L.S, true);
    const T* plp = lp.data<T>();
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t s = 0; s < L.S; ++s) {
        const int64_t i = n * L.S + s, k = t[size_t(i)];
        if (k < 0) continue;
        const T* row = plp + n * L.C * L.S + s;
        nll[size_t(i)] = -w[size_t(k)] * double(row[k * L.S]);
        W += w[size_t(k)];
        if (eps > 0) {
          double acc = 0;
          for (int64_t c = 0; c < L.C; ++c) acc -= w[size_t(c)] * double(row[c * L.S]);
          smooth[size_t(i)] = acc;
        }
      }
  });
  const double a_scale = 1.0 - eps, b_scale = eps / double(L.C);
  Tensor out;
  if (args.reduction == Reduction::None) {
    out = Tensor::empty(Shape(ts), dt);
    PHYSCNN_DISPATCH(dt, T, {
      T* po = out.data<T>();
      for (int64_t i = 0; i < P; ++i)
        po[i] = T(a_scale * nll[size_t(i)] + b_scale * smooth[size_t(i)]);
    });
  } else {
    double total = 0;
    for (int64_t i = 0; i < P; ++i) total += a_scale * nll[size_t(i)] + b_scale * smooth[size_t(i)];
    // Mean over zero weight (every target ignored) is 0/0 = NaN, as PyTorch.
    if (args.reduction == Reduction::Mean)
      total = W != 0 ? total / W : std::numeric_limits<double>::quiet_NaN();
    out = Tensor::scalar(total, dt);
  }

  double w_sum = 0;
  for (double v : w) w_sum += v;
  const Reduction red = args.reduction;
  return make_op(
      "cross_entropy", out, {logits},
      [lp, t = std::move(t), w = std::move(w), w_sum, W, L, a_scale, b_scale, red](Grads& g) {
        const Tensor go = g.out.contiguous();
        Tensor gx = Tensor::empty(lp.shape(), lp.dtype());
        PHYSCNN_DISPATCH(lp.dtype(), T, {
          const T* plp = lp.data<T>();
          const T* pgo = go.data<T>();
          T* pgx = gx.data<T>();
          const double norm = red == Reduction::Mean ? 1.0 / W : 1.0;
          parallel_for(
              0, L.N, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, L.C * L.S)),
              [&](int64_t n0, int64_t n1) {
                for (int64_t n = n0; n < n1; ++n)
                  for (int64_t s = 0; s < L.S; ++s) {
                    const int64_t i = n * L.S + s, k = t[size_t(i)];
                    const int64_t base = n * L.C * L.S + s;
                    if (k < 0) {
                      for (int64_t c = 0; c < L.C; ++c) pgx[base + c * L.S] = T(0);
                      continue;
                    }
                    const double gi = double(red == Reduction::None ? pgo[i] : pgo[0]) * norm;
                    const double a = gi * a_scale * w[size_t(k)], b = gi * b_scale;
                    for (int64_t c = 0; c < L.C; ++c) {
                      const double p = double(std::exp(plp[base + c * L.S]));
                      pgx[base + c * L.S] =
                          T(a * (p - (c == k ? 1.0 : 0.0)) + b * (p * w_sum - w[size_t(c)]));
                    }
                  }
              });
        });
        g.in[0] = gx;
      });
}

// ---- binary cross-entropy with logits ---------------------------------------------------------
// loss = (1 - t) x + lw * softplus(-x), lw = 1 + (pos_weight - 1) t, softplus(-x) evaluated as
// max(-x, 0) + log1p(exp(-|x|)); without pos_weight this is max(x,0) - x t + log(1 + exp(-|x|)).
// d loss / dx = (1 - t) - lw * sigmoid(-x).

Var bce_with_logits(const Var& logits, const Tensor& target, Reduction reduction,
                    const Tensor& pos_weight) {
  PHYSCNN_CHECK_ARG(logits.defined() && target.defined(), "bce_with_logits: undefined input");
  const Shape ls = logits.shape();
  PHYSCNN_CHECK_SHAPE(target.shape() == ls, "bce_with_logits: target has shape ",
                      target.shape().str(), ", logits ", ls.str(), " (they must match)");
  const DType dt = logits.dtype();
  const Tensor xv = logits.value().contiguous();
  const Tensor tv = target.to(dt).contiguous();
  Tensor lw;  // 1 + (pos_weight - 1) t, in the logits' shape; undefined without pos_weight
  if (pos_weight.defined()) {
    const Tensor pw = pos_weight.to(dt);
    bool fits = pw.dim() <= ls.rank();
    for (int64_t d = 1; fits && d <= pw.dim(); ++d)
      fits = pw.size(-d) == 1 || pw.size(-d) == ls[-d];
    PHYSCNN_CHECK_SHAPE(fits, "bce_with_logits: pos_weight ", pw.shape().str(),
                        " does not broadcast to logits ", ls.str());
    lw = physcnn::add(physcnn::mul(physcnn::add(pw, -1.0), tv), 1.0).contiguous();
  }
  const int64_t n = xv.numel();
  Tensor elems = Tensor::empty(ls, dt);
  PHYSCNN_DISPATCH(dt, T, {
    const T* x = xv.data<T>();
    const T* tt = tv.data<T>();
    const T* pl = lw.defined() ? lw.data<T>() : nullptr;
    T* e = elems.data<T>();
    parallel_for(0, n, 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const double xi = double(x[i]), ti = double(tt[i]), li = pl ? double(pl[i]) : 1.0;
        const double softplus_neg = std::max(-xi, 0.0) + std::log1p(std::exp(-std::abs(xi)));
        e[i] = T((1.0 - ti) * xi + li * softplus_neg);
      }
    });
  });
  Tensor out = reduction == Reduction::None  ? elems
               : reduction == Reduction::Sum ? Tensor::scalar(sum_all(elems), dt)
                                             : Tensor::scalar(mean_all(elems), dt);
  return make_op("bce_with_logits", out, {logits}, [xv, tv, lw, reduction](Grads& g) {
    const Tensor go = g.out.contiguous();
    const int64_t count = xv.numel();
    Tensor gx = Tensor::empty(xv.shape(), xv.dtype());
    PHYSCNN_DISPATCH(xv.dtype(), T, {
      const T* x = xv.data<T>();
      const T* tt = tv.data<T>();
      const T* pl = lw.defined() ? lw.data<T>() : nullptr;
      const T* pg = go.data<T>();
      T* px = gx.data<T>();
      const double scalar = reduction == Reduction::None ? 0.0
                            : reduction == Reduction::Sum
                                ? double(pg[0])
                                : double(pg[0]) / double(std::max<int64_t>(1, count));
      parallel_for(0, count, 1 << 14, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          const double xi = double(x[i]), li = pl ? double(pl[i]) : 1.0;
          // sigmoid(-x) split by sign so that exp never overflows
          const double e = std::exp(-std::abs(xi));
          const double sig_neg = xi >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
          const double gi = reduction == Reduction::None ? double(pg[i]) : scalar;
          px[i] = T(gi * ((1.0 - double(tt[i])) - li * sig_neg));
        }
      });
    });
    g.in[0] = gx;
  });
}

}  // namespace physcnn::autograd

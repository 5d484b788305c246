// Lattice symmetries and image transforms as index maps over the last two dimensions, the
// random per-sample transforms built on them, and per-channel normalisation.
#include "data/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "core/parallel.hpp"

namespace physcnn::data {

namespace {

// Source index (row, col) that output (i, j) reads under D4 element k, for an L x L square.
inline void d4_source(int k, int64_t L, int64_t i, int64_t j, int64_t& si, int64_t& sj) {
  if (k & 4) j = L - 1 - j;  // flip applied last, so undo it first
  switch (k & 3) {           // out = rot^r(in): invert the rotation
    case 0:
      si = i, sj = j;
      break;
    case 1:
      si = j, sj = L - 1 - i;
      break;
    case 2:
      si = L - 1 - i, sj = L - 1 - j;
      break;
    default:
      si = L - 1 - j, sj = i;
      break;
  }
}

struct Plane {
  int64_t planes, H, W;
};

Plane planes_of(const Tensor& x, const char* op) {
  PHYSCNN_CHECK_SHAPE(x.dim() >= 2, op, ": needs at least 2 dimensions, got ", x.shape().str());
  const int64_t H = x.size(-2), W = x.size(-1);
  return {H * W != 0 ? x.numel() / (H * W) : 0, H, W};
}

// out[p, i, j] = x[p, src(p, i, j)] with a per-plane index function.
template <class F>
Tensor remap(const Tensor& x0, const Plane& pl, F src) {
  const Tensor x = x0.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  PHYSCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(0, pl.planes, 8, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p)
        for (int64_t i = 0; i < pl.H; ++i)
          for (int64_t j = 0; j < pl.W; ++j) {
            int64_t si, sj;
            src(p, i, j, si, sj);
            o[(p * pl.H + i) * pl.W + j] = in[(p * pl.H + si) * pl.W + sj];
          }
    });
  });
  return out;
}

}  // namespace

Tensor d4(const Tensor& x, int k) {
  const Plane pl = planes_of(x, "d4");
  PHYSCNN_CHECK_SHAPE(pl.H == pl.W, "d4: the square's symmetries need equal sides, got ",
                      x.shape().str());
  PHYSCNN_CHECK_ARG(k >= 0 && k < 8, "d4: element ", k, " is not in 0..7");
  return remap(x, pl, [&](int64_t, int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    d4_source(k, pl.H, i, j, si, sj);
  });
}

Tensor roll2d(const Tensor& x, int64_t dy, int64_t dx) {
  const Plane pl = planes_of(x, "roll2d");
  const int64_t sy = ((dy % pl.H) + pl.H) % pl.H, sx = ((dx % pl.W) + pl.W) % pl.W;
  return remap(x, pl, [&](int64_t, int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    si = (i - sy + pl.H) % pl.H;
    sj = (j - sx + pl.W) % pl.W;
  });
}

Tensor augment_lattices(const Tensor& x, const LatticeAugment& opt, Rng& rng) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4 && x.size(2) == x.size(3),
                      "augment_lattices: expected (N, C, L, L), got ", x.shape().str());
  const int64_t N = x.size(0), C = x.size(1), L = x.size(2);
  // Draw every sample's transform first (serially) so the result does not depend on threads.
  struct Choice {
    int k;
    int64_t dy, dx;
    bool flip;
  };
  std::vector<Choice> choice(static_cast<size_t>(N));
  for (auto& c : choice) {
    c.k = opt.d4 ? int(rng.below(8)) : 0;
    c.dy = opt.translate ? int64_t(rng.below(uint64_t(L))) : 0;
    c.dx = opt.translate ? int64_t(rng.below(uint64_t(L))) : 0;
    c.flip = opt.spin_flip && rng.below(2) == 1;
  }
  const Plane pl{N * C, L, L};
  Tensor out = remap(x, pl, [&](int64_t p, int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    const Choice& c = choice[size_t(p / C)];
    // translate, then the D4 element: read the rotated index, then undo the shift
    int64_t ri, rj;
    d4_source(c.k, L, i, j, ri, rj);
    si = (ri - c.dy + L) % L;
    sj = (rj - c.dx + L) % L;
  });
  PHYSCNN_DISPATCH(out.dtype(), T, {
    T* o = out.data<T>();
    for (int64_t n = 0; n < N; ++n)
      if (choice[size_t(n)].flip)
        for (int64_t e = 0; e < C * L * L; ++e) o[n * C * L * L + e] = -o[n * C * L * L + e];
  });
  return out;
}

// --- deterministic image maps ----------------------------------------------------------------

namespace {

// out[p, i, j] = x[p, si, sj] when src(i, j, si, sj) returns true, else 0.
template <class F>
Tensor remap_or_zero(const Tensor& x0, const Plane& pl, F src) {
  const Tensor x = x0.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  PHYSCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for (int64_t p = 0; p < pl.planes; ++p)
      for (int64_t i = 0; i < pl.H; ++i)
        for (int64_t j = 0; j < pl.W; ++j) {
          int64_t si, sj;
          o[(p * pl.H + i) * pl.W + j] = src(i, j, si, sj) ? in[(p * pl.H + si) * pl.W + sj] : T(0);
        }
  });
  return out;
}

void check_probability(double p, const char* op, const char* what) {
  PHYSCNN_CHECK_ARG(p >= 0.0 && p <= 1.0, op, ": ", what, " probability ", p, " is not in [0, 1]");
}

}  // namespace

Tensor flip2d(const Tensor& x, bool horizontal, bool vertical) {
  const Plane pl = planes_of(x, "flip2d");
  return remap(x, pl, [&](int64_t, int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    si = vertical ? pl.H - 1 - i : i;
    sj = horizontal ? pl.W - 1 - j : j;
  });
}

Tensor translate2d(const Tensor& x, int64_t dy, int64_t dx, Fill fill) {
  if (fill == Fill::Periodic) return roll2d(x, dy, dx);
  const Plane pl = planes_of(x, "translate2d");
  return remap_or_zero(x, pl, [&](int64_t i, int64_t j, int64_t& si, int64_t& sj) {
    si = i - dy, sj = j - dx;
    return si >= 0 && si < pl.H && sj >= 0 && sj < pl.W;
  });
}

Tensor rotate2d(const Tensor& x0, double degrees) {
  const Plane pl = planes_of(x0, "rotate2d");
  PHYSCNN_CHECK_ARG(std::isfinite(degrees), "rotate2d: angle ", degrees, " is not finite");
  const double a = degrees * std::numbers::pi / 180.0;
  // Snap the cosine/sine of multiples of 90 degrees so that those rotations are exact.
  auto snap = [](double v) { return std::abs(v) < 1e-12 ? 0.0 : v; };
  const double c = snap(std::cos(a)), s = snap(std::sin(a));
  const double cy = 0.5 * double(pl.H - 1), cx = 0.5 * double(pl.W - 1);
  const Tensor x = x0.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  PHYSCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < pl.H; ++i)
      for (int64_t j = 0; j < pl.W; ++j) {
        // Output (row u, col v) about the centre reads the input at R(-angle)(u, v); rows point
        // down, so (u, v) -> (c u + s v, -s u + c v) is a counter-clockwise turn on screen.
        const double u = double(i) - cy, v = double(j) - cx;
        const double sr = cy + c * u + s * v, sc = cx - s * u + c * v;
        const double r0 = std::floor(sr), c0 = std::floor(sc);
        const double fr = sr - r0, fc = sc - c0;
        const int64_t ri = int64_t(r0), ci = int64_t(c0);
        const double w[4] = {(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc};
        const int64_t rr[4] = {ri, ri, ri + 1, ri + 1}, cc[4] = {ci, ci + 1, ci, ci + 1};
        for (int64_t p = 0; p < pl.planes; ++p) {
          double acc = 0.0;
          for (int k = 0; k < 4; ++k)
            if (w[k] != 0.0 && rr[k] >= 0 && rr[k] < pl.H && cc[k] >= 0 && cc[k] < pl.W)
              acc += w[k] * double(in[(p * pl.H + rr[k]) * pl.W + cc[k]]);
          o[(p * pl.H + i) * pl.W + j] = T(acc);
        }
      }
  });
  return out;
}

Tensor padded_crop2d(const Tensor& x, int64_t padding, int64_t top, int64_t left, PadMode mode) {
  const Plane pl = planes_of(x, "padded_crop2d");
  PHYSCNN_CHECK_ARG(
      padding >= 0 && top >= 0 && top <= 2 * padding && left >= 0 && left <= 2 * padding,
      "padded_crop2d: offset (", top, ", ", left, ") must lie in [0, 2*padding = ", 2 * padding,
      "] for input ", x.shape().str());
  if (padding == 0) return x.contiguous();
  const Tensor padded = pad(x, {padding, padding, padding, padding}, mode);
  const int64_t d = x.dim();
  return padded.slice(d - 2, top, top + pl.H).slice(d - 1, left, left + pl.W).contiguous();
}

Tensor sign_flip(const Tensor& x) {
  return neg(x);
}

// --- random per-sample transforms -----------------------------------------------------------

Transform compose(std::vector<Transform> transforms) {
  for (size_t i = 0; i < transforms.size(); ++i)
    PHYSCNN_CHECK_ARG(bool(transforms[i]), "compose: transform ", i, " is empty");
  return [ts = std::move(transforms)](const Tensor& x, Rng& rng) {
    Tensor y = x;
    for (const auto& t : ts) y = t(y, rng);
    return y;
  };
}

Transform random_flip(const FlipOptions& opt) {
  check_probability(opt.horizontal, "random_flip", "horizontal");
  check_probability(opt.vertical, "random_flip", "vertical");
  return [opt](const Tensor& x, Rng& rng) {
    // Both draws always happen, so the generator advances the same way for every sample.
    const bool h = rng.uniform() < opt.horizontal, v = rng.uniform() < opt.vertical;
    return h || v ? flip2d(x, h, v) : x;
  };
}

Transform random_d4() {
  return [](const Tensor& x, Rng& rng) { return d4(x, int(rng.below(8))); };
}

Transform random_rot90() {
  return [](const Tensor& x, Rng& rng) { return d4(x, int(rng.below(4))); };
}

Transform random_translate(const TranslateOptions& opt) {
  PHYSCNN_CHECK_ARG(opt.max_shift >= -1, "random_translate: max_shift ", opt.max_shift,
                    " must be >= 0 (or -1 for any periodic shift)");
  PHYSCNN_CHECK_ARG(opt.max_shift >= 0 || opt.fill == Fill::Periodic,
                    "random_translate: max_shift -1 (any shift) needs periodic fill; with zero "
                    "fill give a bound");
  return [opt](const Tensor& x, Rng& rng) {
    PHYSCNN_CHECK_SHAPE(x.dim() >= 2, "random_translate: needs at least 2 dimensions, got ",
                        x.shape().str());
    const int64_t H = x.size(-2), W = x.size(-1);
    if (opt.max_shift < 0) {
      const int64_t dy = int64_t(rng.below(uint64_t(H))), dx = int64_t(rng.below(uint64_t(W)));
      return translate2d(x, dy, dx, opt.fill);
    }
    const uint64_t span = uint64_t(2 * opt.max_shift + 1);
    const int64_t dy = int64_t(rng.below(span)) - opt.max_shift;
    const int64_t dx = int64_t(rng.below(span)) - opt.max_shift;
    return translate2d(x, dy, dx, opt.fill);
  };
}

Transform random_rotate(const RotateOptions& opt) {
  PHYSCNN_CHECK_ARG(opt.max_degrees >= 0 && std::isfinite(opt.max_degrees),
                    "random_rotate: max_degrees ", opt.max_degrees, " must be finite and >= 0");
  return [opt](const Tensor& x, Rng& rng) {
    return rotate2d(x, rng.uniform(-opt.max_degrees, opt.max_degrees));
  };
}

Transform random_crop(const CropOptions& opt) {
  PHYSCNN_CHECK_ARG(opt.padding >= 0, "random_crop: padding ", opt.padding, " must be >= 0");
  return [opt](const Tensor& x, Rng& rng) {
    PHYSCNN_CHECK_ARG(x.dim() >= 2 && opt.padding <= std::min(x.size(-2), x.size(-1)),
                      "random_crop: padding ", opt.padding, " is more than the height or width of ",
                      "the sample ", x.shape().str(), " (the padded copy would be that large)");
    const uint64_t span = uint64_t(2 * opt.padding + 1);
    const int64_t top = int64_t(rng.below(span)), left = int64_t(rng.below(span));
    return padded_crop2d(x, opt.padding, top, left, opt.mode);
  };
}

Transform gaussian_noise(const NoiseOptions& opt) {
  PHYSCNN_CHECK_ARG(opt.stddev >= 0 && std::isfinite(opt.stddev), "gaussian_noise: stddev ",
                    opt.stddev, " must be finite and >= 0");
  return [opt](const Tensor& x, Rng& rng) {
    return add(x, Tensor::normal(x.shape(), 0.0, opt.stddev, rng, x.dtype()));
  };
}

Transform random_sign_flip(const SignFlipOptions& opt) {
  check_probability(opt.probability, "random_sign_flip", "flip");
  return [opt](const Tensor& x, Rng& rng) {
    return rng.uniform() < opt.probability ? sign_flip(x) : x;
  };
}

// --- normalisation --------------------------------------------------------------------------

std::map<std::string, std::vector<double>> ChannelStats::to_map() const {
  return {{"mean", mean}, {"std", std}};
}

ChannelStats ChannelStats::from_map(const std::map<std::string, std::vector<double>>& map) {
  const auto m = map.find("mean"), s = map.find("std");
  PHYSCNN_CHECK_ARG(m != map.end() && s != map.end() && m->second.size() == s->second.size() &&
                        !m->second.empty(),
                    "ChannelStats::from_map: needs 'mean' and 'std' lists of one equal, "
                    "non-zero length");
  return {m->second, s->second};
}

ChannelStats channel_stats(const Dataset& train) {
  const int64_t n = train.size();
  PHYSCNN_CHECK_ARG(n > 0, "channel_stats: the training split is empty");
  const Shape shape = train.sample_shape();
  const int64_t C = shape.rank() >= 3 ? shape[0] : 1;
  const int64_t per = C > 0 ? shape.numel() / C : 0;
  PHYSCNN_CHECK_SHAPE(per > 0, "channel_stats: empty samples ", shape.str());
  // Sums of (x - k) and (x - k)^2 with k the first sample's channel mean: shifting by a value
  // near the mean avoids the cancellation of the naive E[x^2] - E[x]^2 (Chan et al., 1983).
  std::vector<double> k(size_t(C), 0.0), s1(size_t(C), 0.0), s2(size_t(C), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const Tensor x = train.get(i).input.to(DType::F32).contiguous();
    PHYSCNN_CHECK_SHAPE(x.shape() == shape, "channel_stats: sample ", i, " has shape ",
                        x.shape().str(), ", the dataset says ", shape.str());
    const float* v = x.data<float>();
    for (int64_t c = 0; c < C; ++c) {
      const float* p = v + c * per;
      if (i == 0) {
        double m = 0.0;
        for (int64_t e = 0; e < per; ++e) m += p[e];
        k[size_t(c)] = m / double(per);
      }
      double a = 0.0, b = 0.0;
      for (int64_t e = 0; e < per; ++e) {
        const double d = double(p[e]) - k[size_t(c)];
        a += d;
        b += d * d;
      }
      s1[size_t(c)] += a;
      s2[size_t(c)] += b;
    }
  }
  ChannelStats st;
  const double count = double(n) * double(per);
  for (int64_t c = 0; c < C; ++c) {
    const double m = s1[size_t(c)] / count;
    st.mean.push_back(k[size_t(c)] + m);
    st.std.push_back(std::sqrt(std::max(0.0, s2[size_t(c)] / count - m * m)));
  }
  return st;
}

Tensor normalize(const Tensor& x0, const ChannelStats& st) {
  PHYSCNN_CHECK_SHAPE(x0.dim() >= 1, "normalize: needs at least 1 dimension, got ",
                      x0.shape().str());
  const int64_t C = x0.dim() >= 3 ? x0.size(-3) : 1;
  PHYSCNN_CHECK_SHAPE(int64_t(st.mean.size()) == C && st.std.size() == st.mean.size(),
                      "normalize: input ", x0.shape().str(), " has ", C, " channels, the stats ",
                      st.mean.size());
  for (size_t c = 0; c < st.std.size(); ++c)
    PHYSCNN_CHECK_ARG(st.std[c] > 0 && std::isfinite(st.std[c]), "normalize: channel ", c,
                      " has std ", st.std[c], " (a constant channel cannot be standardised)");
  const Tensor x = x0.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const int64_t per = x.dim() >= 3 ? x.size(-2) * x.size(-1) : x.numel();
  const int64_t planes = per > 0 ? x.numel() / per : 0;
  PHYSCNN_DISPATCH(x.dtype(), T, {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    for (int64_t p = 0; p < planes; ++p) {
      const size_t c = size_t(p % C);
      const double m = st.mean[c], inv = 1.0 / st.std[c];
      for (int64_t e = 0; e < per; ++e) o[p * per + e] = T((double(in[p * per + e]) - m) * inv);
    }
  });
  return out;
}

Transform normalize(const ChannelStats& stats) {
  normalize(Tensor::zeros(Shape{int64_t(stats.mean.size()), 1, 1}), stats);  // validate now
  return [stats](const Tensor& x, Rng&) { return normalize(x, stats); };
}

}  // namespace physcnn::data

// Lattice symmetries as index maps over the last two dimensions.
#include "data/transforms.hpp"

#include <cstring>

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

}  // namespace physcnn::data

// The p4 / p4m element algebra and its action on images and on fields over the group.
#include "nn/group.hpp"

#include "core/error.hpp"

namespace physcnn::nn {

const std::vector<std::pair<std::string, SymmetryGroup>>& symmetry_group_names() {
  static const std::vector<std::pair<std::string, SymmetryGroup>> names{
      {"p4", SymmetryGroup::P4}, {"p4m", SymmetryGroup::P4M}};
  return names;
}

int64_t group_order(SymmetryGroup g) {
  return g == SymmetryGroup::P4 ? 4 : 8;
}

int64_t group_mul(int64_t a, int64_t b) {
  const int64_t ka = a % 4, ma = a / 4, kb = b % 4, mb = b / 4;
  const int64_t k = ((ma ? ka - kb : ka + kb) % 4 + 4) % 4;
  return 4 * (ma ^ mb) + k;
}

int64_t group_inverse(int64_t a) {
  return a >= 4 ? a : (4 - a) % 4;  // a mirror is its own inverse: (r^k f)^2 = 1
}

std::pair<int64_t, int64_t> group_source(int64_t e, int64_t y, int64_t x, int64_t N) {
  // T_e = R^k F^m: (R a)[y][x] = a[x][N-1-y] (numpy.rot90), (F a)[y][x] = a[y][N-1-x].
  for (int64_t k = 0; k < e % 4; ++k) {
    const int64_t t = y;
    y = x;
    x = N - 1 - t;
  }
  if (e >= 4) x = N - 1 - x;
  return {y, x};
}

namespace {

template <class T>
void act_planes(const T* in, T* out, int64_t N, int64_t C, int64_t H, int64_t W, int64_t e,
                int64_t order) {
  const int64_t inv = group_inverse(e);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      // Output channel c = f |G| + g reads orientation e^-1 g of the same field.
      const int64_t src_c = order > 0 ? c / order * order + group_mul(inv, c % order) : c;
      const T* src = in + (n * C + src_c) * H * W;
      T* dst = out + (n * C + c) * H * W;
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
          // Mirrors of non-square maps act on the columns alone, as numpy.fliplr.
          const auto [sy, sx] = e == 4 && H != W ? std::pair<int64_t, int64_t>{y, W - 1 - x}
                                                 : group_source(e, y, x, H);
          dst[y * W + x] = src[sy * W + sx];
        }
    }
}

}  // namespace

Tensor group_act(const Tensor& x, int64_t e, int64_t order) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() == 4, "group_act: needs (N, C, H, W), got ",
                      x.defined() ? x.shape().str() : "undefined");
  PHYSCNN_CHECK_ARG(e >= 0 && e < 8 && (order == 0 || e < order), "group_act: element ", e,
                    " is not in a group of order ", order);
  PHYSCNN_CHECK_SHAPE(order == 0 || x.size(1) % order == 0, "group_act: ", x.size(1),
                      " channels are not fields over a group of order ", order);
  PHYSCNN_CHECK_SHAPE(x.size(2) == x.size(3) || e == 0 || e == 4, "group_act: element ", e,
                      " turns the map, which must be square, got ", x.shape().str());
  const Tensor in = x.contiguous();
  Tensor out = Tensor::empty(in.shape(), in.dtype());
  PHYSCNN_DISPATCH(in.dtype(), T, {
    act_planes<T>(in.data<T>(), out.data<T>(), in.size(0), in.size(1), in.size(2), in.size(3), e,
                  order);
  });
  return out;
}

}  // namespace physcnn::nn

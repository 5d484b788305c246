// Shared hexagonal-grid ops (see nn/hex_ops.hpp).
#include "nn/hex_ops.hpp"

#include <array>
#include <vector>

#include "nn/hex_grid.hpp"

namespace physcnn::nn {

namespace ag = physcnn::autograd;

void check_hex_input(const std::string& layer, const Var& x, int64_t k, int64_t s, bool periodic) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4, layer, " expects a (N,C,H,W) input, got ", x.shape().str());
  const int64_t H = x.size(2), W = x.size(3);
  PHYSCNN_CHECK_SHAPE(!periodic || W % 2 == 0, layer,
                      ": periodic boundaries need an even number of columns (the odd-column "
                      "shift must alternate across the seam), got input ",
                      x.shape().str());
  PHYSCNN_CHECK_SHAPE(!periodic || (H % s == 0 && W % (2 * s) == 0), layer,
                      ": periodic boundaries with stride ", s, " need rows divisible by ", s,
                      " and columns by ", 2 * s, " (so the strided grid is periodic), got input ",
                      x.shape().str());
  PHYSCNN_CHECK_SHAPE(W <= s || H - 1 >= s / 2, layer, ": stride ", s, " needs at least ",
                      s / 2 + 1, " rows (odd output columns start ", s / 2,
                      " rows down), got input ", x.shape().str());
  PHYSCNN_CHECK_SHAPE(!periodic || (H >= k && W >= k), layer, ": periodic boundaries with radius ",
                      k, " need at least ", k, " rows and columns, got input ", x.shape().str());
}

Tensor hex_scatter(int64_t k, int parity) {
  const int64_t K = 2 * k + 1;
  const auto taps = hex_taps(k);
  Tensor s = Tensor::zeros(Shape{int64_t(taps.size()), K * K}, DType::F64);
  const HexAxial centre = offset_to_axial({parity, 0});
  for (size_t t = 0; t < taps.size(); ++t) {
    const HexOffset nb = axial_to_offset({centre.q + taps[t].q, centre.r + taps[t].r});
    const int64_t kr = nb.row + k, kc = nb.col - parity + k;
    PHYSCNN_CHECK_ARG(kr >= 0 && kr < K && kc >= 0 && kc < K, "hexagonal tap outside the kernel");
    s.data<double>()[int64_t(t) * K * K + kr * K + kc] = 1.0;
  }
  return s;
}

Var hex_parity_conv(const Var& x, const Var& even_kernel, const Var& odd_kernel, const Var& bias,
                    int64_t k, bool periodic, int64_t groups) {
  const int64_t W = x.size(3);
  const ag::Conv2dArgs args{.stride = {1, 1},
                            .padding = {k, k, k, k},
                            .padding_mode = periodic ? PadMode::Circular : PadMode::Zeros,
                            .groups = groups};
  Tensor even = Tensor::zeros(Shape{1, 1, 1, W}, DType::F64), odd = even.clone();
  for (int64_t c = 0; c < W; ++c) (c % 2 ? odd : even).data<double>()[c] = 1.0;
  const Var on_even =
      ag::mul(ag::conv2d(x, even_kernel, bias, args), Var(even.to(x.dtype()), false));
  if (W == 1) return on_even;
  return ag::add(on_even,
                 ag::mul(ag::conv2d(x, odd_kernel, bias, args), Var(odd.to(x.dtype()), false)));
}

namespace {
// A (rows, cols) 0/1 matrix with ones at the given (row, col) places, in dtype.
Var selection(int64_t rows, int64_t cols, const std::vector<std::array<int64_t, 2>>& ones,
              DType dtype) {
  Tensor t = Tensor::zeros(Shape{rows, cols}, DType::F64);
  for (const auto& [r, c] : ones) t.data<double>()[r * cols + c] = 1.0;
  return Var(t.to(dtype), false);
}
}  // namespace

Var hex_stride_sample(const Var& y, int64_t s) {
  if (s == 1) return y;
  const int64_t N = y.size(0), C = y.size(1), H = y.size(2), W = y.size(3);
  const int64_t WO = (W - 1) / s + 1, shift = s / 2;
  const int64_t HO = WO == 1 ? (H - 1) / s + 1 : (H - 1 - shift) / s + 1;
  const DType dt = y.dtype();
  std::vector<std::array<int64_t, 2>> cols, even_rows, odd_rows;
  for (int64_t j = 0; j < WO; ++j) cols.push_back({s * j, j});
  for (int64_t m = 0; m < HO; ++m) {
    even_rows.push_back({s * m, m});
    if (WO > 1) odd_rows.push_back({s * m + shift, m});
  }
  // Columns first: (N*C*H, W) x (W, WO); then rows, by the output column's parity.
  Var z = ag::matmul(ag::reshape(y, Shape{N * C * H, W}), selection(W, WO, cols, dt));
  z = ag::reshape(ag::permute(ag::reshape(z, Shape{N * C, H, WO}), {0, 2, 1}),
                  Shape{N * C * WO, H});
  Tensor even = Tensor::zeros(Shape{1, WO, 1}, DType::F64), odd = even.clone();
  for (int64_t j = 0; j < WO; ++j) (j % 2 ? odd : even).data<double>()[j] = 1.0;
  auto rows = [&](const std::vector<std::array<int64_t, 2>>& ones, const Tensor& mask) {
    return ag::mul(ag::reshape(ag::matmul(z, selection(H, HO, ones, dt)), Shape{N * C, WO, HO}),
                   Var(mask.to(dt), false));
  };
  Var out = rows(even_rows, even);
  if (WO > 1) out = ag::add(out, rows(odd_rows, odd));
  return ag::reshape(ag::permute(out, {0, 2, 1}), Shape{N, C, HO, WO});
}

}  // namespace physcnn::nn

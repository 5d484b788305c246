// ConvOracle: reference results and sum-of-magnitude bounds, and the comparison of every pass.
#include "kernels/conv/conv_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "buffers.hpp"

namespace physcnn::test {

namespace k = physcnn::kernels;

ConvRunner entry_runner(const k::ConvImpl& impl) {
  return [&impl](const k::Conv2dDesc& d, k::ConvPass pass, const k::ConvBuffers& buf) {
    impl.run(d, pass, buf);
  };
}

ConvRunner dispatch_runner() {
  return [](const k::Conv2dDesc& d, k::ConvPass pass, const k::ConvBuffers& a) {
    switch (pass) {
      case k::ConvPass::Forward:
        if (a.relu) return k::conv2d_relu_forward<float>(d, a.x, a.w, a.b, a.y);
        return k::conv2d_forward<float>(d, a.x, a.w, a.b, a.y);
      case k::ConvPass::BackwardData:
        return k::conv2d_backward_data<float>(d, a.dy, a.w, a.dx);
      case k::ConvPass::BackwardWeight:
        return k::conv2d_backward_weight<float>(d, a.x, a.dy, a.dw, a.db);
    }
  };
}

namespace {
std::vector<float> magnitudes(const std::vector<float>& v) {
  std::vector<float> m(v.size());
  for (size_t i = 0; i < v.size(); ++i) m[i] = std::fabs(v[i]);
  return m;
}
// The largest bound over each element's 3x3 neighbourhood in its plane (planes of h x w).
std::vector<float> tile_bound(const std::vector<float>& bound, int64_t h, int64_t w) {
  std::vector<float> out(bound.size());
  const int64_t planes = int64_t(bound.size()) / (h * w);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        float m = 0;
        for (int64_t a = std::max<int64_t>(0, i - 1); a <= std::min(h - 1, i + 1); ++a)
          for (int64_t b = std::max<int64_t>(0, j - 1); b <= std::min(w - 1, j + 1); ++b)
            m = std::max(m, bound[size_t((p * h + a) * w + b)]);
        out[size_t((p * h + i) * w + j)] = m;
      }
  return out;
}

}  // namespace

ConvOracle::ConvOracle(k::Conv2dDesc d, uint64_t seed) : d_(d) {
  k::conv2d_validate(d_);
  const int64_t nx = d_.N * d_.IC * d_.IH * d_.IW, ny = d_.N * d_.OC * d_.OH * d_.OW;
  const int64_t nw = d_.OC * (d_.IC / d_.G) * d_.KH * d_.KW;
  x_ = random_buffer(nx, seed);
  w_ = random_buffer(nw, seed + 1);
  dy_ = random_buffer(ny, seed + 2);
  b_ = random_buffer(d_.OC, seed + 3);
  for (int v = 0; v < 4; ++v) {
    y_[v].resize(size_t(ny));
    const float* pb = v % 2 ? b_.data() : nullptr;
    if (v / 2)
      k::conv2d_relu_forward_reference<float>(d_, x_.data(), w_.data(), pb, y_[v].data());
    else
      k::conv2d_forward_reference<float>(d_, x_.data(), w_.data(), pb, y_[v].data());
  }
  dx_.resize(size_t(nx));
  dw_.resize(size_t(nw));
  db_.resize(size_t(d_.OC));
  k::conv2d_backward_data_reference<float>(d_, dy_.data(), w_.data(), dx_.data());
  k::conv2d_backward_weight_reference<float>(d_, x_.data(), dy_.data(), dw_.data(), db_.data());
  // The bounds: the same sums over the magnitudes (the bias gradient's is sum |dy|).
  const auto ax = magnitudes(x_), aw = magnitudes(w_), ady = magnitudes(dy_), ab = magnitudes(b_);
  for (int v = 0; v < 2; ++v) {
    y_bound_[v].resize(size_t(ny));
    k::conv2d_forward_reference<float>(d_, ax.data(), aw.data(), v ? ab.data() : nullptr,
                                       y_bound_[v].data());
  }
  dx_bound_.resize(size_t(nx));
  dw_bound_.resize(size_t(nw));
  db_bound_.resize(size_t(d_.OC));
  k::conv2d_backward_data_reference<float>(d_, ady.data(), aw.data(), dx_bound_.data());
  k::conv2d_backward_weight_reference<float>(d_, ax.data(), ady.data(), dw_bound_.data(),
                                             db_bound_.data());
}

void ConvOracle::check(const ConvRunner& run, const std::string& name,
                       const std::vector<k::ConvPass>& passes, bool winograd) const {
  SCOPED_TRACE(name + ": " + d_.str());
  const auto widen = [&](const std::vector<float>& b, int64_t h, int64_t w) {
    return winograd ? tile_bound(b, h, w) : b;
  };
  const std::vector<float> y_bound[2] = {widen(y_bound_[0], d_.OH, d_.OW),
                                         widen(y_bound_[1], d_.OH, d_.OW)};
  const std::vector<float> dx_bound = widen(dx_bound_, d_.IH, d_.IW);
  const std::vector<float> dw_bound = widen(dw_bound_, d_.KH, d_.KW);
  const float garbage = NAN;  // an output read or accumulated into instead of written shows
  for (k::ConvPass pass : passes) {
    if (pass == k::ConvPass::Forward) {
      for (int v = 0; v < 4; ++v) {
        const bool bias = v % 2, relu = v / 2;
        std::vector<float> y(y_[v].size(), garbage);
        run(d_, pass,
            {.x = x_.data(),
             .w = w_.data(),
             .b = bias ? b_.data() : nullptr,
             .y = y.data(),
             .relu = relu});
        EXPECT_TRUE(
            within_sum_bound(y, y_[v], y_bound[v % 2], relu ? "forward relu" : "forward", name))
            << (bias ? "with bias" : "without bias");
      }
    } else if (pass == k::ConvPass::BackwardData) {
      std::vector<float> dx(dx_.size(), garbage);
      run(d_, pass, {.w = w_.data(), .dy = dy_.data(), .dx = dx.data()});
      EXPECT_TRUE(within_sum_bound(dx, dx_, dx_bound, "backward data", name));
    } else {
      std::vector<float> dw(dw_.size(), garbage), db(db_.size(), garbage), dw2(dw_.size(), garbage);
      run(d_, pass, {.x = x_.data(), .dy = dy_.data(), .dw = dw.data(), .db = db.data()});
      run(d_, pass, {.x = x_.data(), .dy = dy_.data(), .dw = dw2.data()});
      EXPECT_TRUE(within_sum_bound(dw, dw_, dw_bound, "backward weight", name));
      EXPECT_TRUE(within_sum_bound(db, db_, db_bound_, "backward bias", name));
      EXPECT_TRUE(within_sum_bound(dw2, dw_, dw_bound, "backward weight without bias", name));
    }
  }
}

int check_entry(const k::ConvImpl& impl, const k::Conv2dDesc& desc) {
  k::Conv2dDesc d = desc;
  k::conv2d_validate(d);
  std::vector<k::ConvPass> passes;
  for (k::ConvPass p :
       {k::ConvPass::Forward, k::ConvPass::BackwardData, k::ConvPass::BackwardWeight})
    if (impl.handles(d, p)) passes.push_back(p);
  const std::string name(impl.name);
  if (!passes.empty())
    ConvOracle(d).check(entry_runner(impl), name, passes,
                        name.find("winograd") != std::string::npos);
  return int(passes.size());
}

}  // namespace physcnn::test

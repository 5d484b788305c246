// The triangular study's protocol, network and augmentation.
#include "physics/ising_study/triangular.hpp"

#include <cmath>

#include "core/error.hpp"
#include "nn/nn.hpp"

namespace physcnn::physics::ising {

double bethe_temperature_ratio() {
  return std::log(2.0) / std::log(1.5);
}

StudyOptions triangular_study_options(bool quick) {
  StudyOptions o = quick ? quick_study_options() : StudyOptions{};
  const double s = bethe_temperature_ratio();
  o.lattice = LatticeType::triangular;
  o.temperature_scale = s;
  o.critical_estimate = s * kCriticalTemperature;
  // The grid's "near T_c" points are placed around Onsager's T_c by make_temperatures; scale
  // the whole square list instead, then add the scaled band points.
  std::vector<double> temps = make_temperatures(o.grid);
  if (o.band_step > 0) {
    for (double t = o.band_start; t <= o.band_stop + 1e-9; t += o.band_step)
      if (t >= o.exclude_low && t <= o.exclude_high) temps.push_back(std::round(t * 1e6) / 1e6);
  }
  std::sort(temps.begin(), temps.end());
  temps.erase(std::unique(temps.begin(), temps.end(),
                          [](double a, double b) { return std::fabs(a - b) < 1e-6; }),
              temps.end());
  for (double& t : temps) t = std::round(s * t * 1e6) / 1e6;
  o.temperatures = temps;
  o.exclude_low *= s;
  o.exclude_high *= s;
  o.sizes = quick ? std::vector<int64_t>{16, 32} : std::vector<int64_t>{16, 32, 48};
  return o;
}

std::shared_ptr<nn::Sequential> hex_phase_cnn(uint64_t seed) {
  Rng rng(seed, 0x48455850ull);  // "HEXP"
  auto conv = [&](int64_t in, int64_t out) {
    return std::make_shared<nn::HexConv2d>(
        nn::HexConv2dOptions{
            .in = in, .out = out, .radius = 1, .boundary = nn::HexBoundary::Periodic},
        rng.fork(uint64_t(in * 1000 + out)));
  };
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      conv(1, 16), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::HexPool2d>(
          nn::HexPool2dOptions{.radius = 1, .stride = 2, .boundary = nn::HexBoundary::Periodic}),
      conv(16, 32), std::make_shared<nn::ReLU>(), std::make_shared<nn::GlobalAvgPool2d>(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = 32}, rng.fork(1)),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = 2}, rng.fork(2))});
}

Tensor augment_hex_lattices(const Tensor& x, Rng& rng) {
  PHYSCNN_CHECK_SHAPE(
      x.dim() == 4 && x.size(2) == x.size(3) && x.size(3) % 2 == 0 && x.dtype() == DType::F32,
      "augment_hex_lattices: expected float32 (N, C, L, L) with L even, got ", x.shape().str());
  const int64_t n = x.size(0), ch = x.size(1), L = x.size(2), plane = L * L;
  const Tensor in = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::F32);
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = int64_t(rng.below(uint64_t(L))),
                  dx = 2 * int64_t(rng.below(uint64_t(L / 2)));
    const uint32_t bits = rng.next_u32();
    const bool mirror_x = bits & 1u, mirror_y = bits & 2u;
    const float sign = (bits & 4u) ? -1.0f : 1.0f;
    for (int64_t k = 0; k < ch; ++k) {
      const float* s = src + (i * ch + k) * plane;
      float* d = dst + (i * ch + k) * plane;
      for (int64_t r = 0; r < L; ++r) {
        for (int64_t c = 0; c < L; ++c) {
          int64_t cc = mirror_x ? (L - c) % L : c;  // keeps the column's parity (L even)
          int64_t rr = mirror_y ? (2 * L - r - (cc & 1)) % L : r;
          cc = (cc + dx) % L;
          rr = (rr + dy) % L;
          d[rr * L + cc] = sign * s[r * L + c];
        }
      }
    }
  }
  return out;
}

}  // namespace physcnn::physics::ising

// Helpers for the data-pipeline tests (scratch directories: support/scratch_dir.hpp): exact
// tensor comparison, the periodic Ising energy, and datasets that are slow or fail on purpose.
#pragma once

#include <gtest/gtest.h>

#include "support/scratch_dir.hpp"
#include "support/throws.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "data/dataset.hpp"

namespace physcnn::test {

inline bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

// E = -sum_<ij> s_i s_j over nearest neighbours with periodic boundaries, for an L×L lattice
// (the last two dimensions; leading dimensions summed).
inline double ising_energy(const Tensor& s) {
  const int64_t H = s.size(-2), W = s.size(-1);
  const auto v = s.contiguous().to_vector();
  const int64_t planes = int64_t(v.size()) / (H * W);
  double e = 0.0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j) {
        const double x = v[size_t((p * H + i) * W + j)];
        e -= x *
             (v[size_t((p * H + (i + 1) % H) * W + j)] + v[size_t((p * H + i) * W + (j + 1) % W)]);
      }
  return e;
}

// Sample i is a 1×2×2 tensor filled with i; label i % classes. Optionally sleeps per sample
// (an I/O-bound source) or throws IoError at one index.
class ProbeDataset : public data::Dataset {
 public:
  explicit ProbeDataset(int64_t n, int64_t classes = 3, int sleep_ms = 0, int64_t fail_at = -1)
      : n_(n), classes_(classes), sleep_ms_(sleep_ms), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  data::Sample get(int64_t i) const override {
    check_index(i, "ProbeDataset::get");
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    if (i == fail_at_) throw IoError(physcnn::detail::cat("probe.bin: sample ", i, " is corrupt"));
    data::Sample s;
    s.input = Tensor::full(Shape{1, 2, 2}, double(i));
    s.label = i % classes_;
    return s;
  }
  Shape sample_shape() const override { return Shape{1, 2, 2}; }
  data::TargetKind target_kind() const override { return data::TargetKind::Class; }

 private:
  int64_t n_, classes_;
  int sleep_ms_;
  int64_t fail_at_;
};

}  // namespace physcnn::test

// The triangular study's pieces: the hexagonal augmentation is a symmetry of the lattice, the
// network runs on the odd-q grid, and the scaled protocol brackets the exact T_c without using it.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "autograd/var.hpp"
#include "core/error.hpp"
#include "physics/ising/triangular.hpp"
#include "physics/ising_study/triangular.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
using namespace physcnn::physics::ising;

namespace {

Lattice sample(const Tensor& x, int64_t i) {
  const int64_t L = x.size(2);
  const float* p = x.data<float>() + i * L * L;
  Lattice lat{L, std::vector<int8_t>(size_t(L * L))};
  for (int64_t k = 0; k < L * L; ++k) lat.spins[size_t(k)] = p[k] > 0 ? 1 : -1;
  return lat;
}

}  // namespace

// Random configurations (T = infinity) have energies spread by ~1/sqrt(N): a map that is not a
// lattice symmetry changes them. Every sample must keep E and |M| exactly, and the maps must
// not all be the identity or a pure spin flip.
TEST(TriangularStudy, HexAugmentationKeepsEnergyAndMagnetisation) {
  for (int64_t L : {8, 12}) {
    const int64_t n = 64;
    Rng rng(9);
    Tensor x = Tensor::empty(Shape{n, 1, L, L}, DType::F32);
    for (int64_t k = 0; k < x.numel(); ++k)
      x.data<float>()[k] = (rng.next_u32() & 1u) ? 1.0f : -1.0f;
    const Tensor y = augment_hex_lattices(x, rng);
    int moved = 0;
    for (int64_t i = 0; i < n; ++i) {
      const Lattice a = sample(x, i), b = sample(y, i);
      EXPECT_DOUBLE_EQ(triangular_energy_per_spin(a), triangular_energy_per_spin(b))
          << "L=" << L << " sample " << i;
      EXPECT_DOUBLE_EQ(std::fabs(magnetisation_per_spin(a)), std::fabs(magnetisation_per_spin(b)));
      std::vector<int8_t> flipped(b.spins);
      for (auto& s : flipped) s = int8_t(-s);
      moved += a.spins != b.spins && a.spins != flipped;
    }
    EXPECT_GT(moved, n / 2);
  }
  // A square D4 rotation is not a symmetry here: the check above would catch it.
  Rng rng(3);
  Tensor x = Tensor::empty(Shape{1, 1, 8, 8}, DType::F32);
  for (int64_t k = 0; k < 64; ++k) x.data<float>()[k] = (rng.next_u32() & 1u) ? 1.0f : -1.0f;
  const Tensor t = x.reshape(Shape{8, 8}).transpose(0, 1).contiguous().reshape(Shape{1, 1, 8, 8});
  EXPECT_NE(triangular_energy_per_spin(sample(x, 0)), triangular_energy_per_spin(sample(t, 0)));
  EXPECT_THROW(augment_hex_lattices(Tensor::empty(Shape{1, 1, 8, 6}, DType::F32), rng), ShapeError);
}

TEST(TriangularStudy, HexNetworkRunsOnThePeriodicGrid) {
  auto net = hex_phase_cnn(1);
  net->build(Shape{1, 16, 16});
  const autograd::Var out =
      net->forward(autograd::Var(Tensor::zeros(Shape{3, 1, 16, 16}, DType::F32)));
  EXPECT_EQ(out.value().shape(), (Shape{3, 2}));
}

// The scaled protocol: its excluded band contains 4/ln 3 (the run would refuse it otherwise),
// the estimate that sets the labels is not the exact value, and the sizes suit hexpool2d.
TEST(TriangularStudy, ProtocolIsTheSquareOneScaled) {
  for (bool quick : {false, true}) {
    const StudyOptions o = triangular_study_options(quick);
    const StudyOptions sq = quick ? quick_study_options() : StudyOptions{};
    const double s = bethe_temperature_ratio();
    EXPECT_NEAR(s, std::log(2.0) / std::log(1.5), 1e-15);
    EXPECT_EQ(o.lattice, LatticeType::triangular);
    EXPECT_NEAR(o.exclude_low, s * sq.exclude_low, 1e-12);
    EXPECT_NEAR(o.exclude_high, s * sq.exclude_high, 1e-12);
    EXPECT_LT(o.exclude_low, kTriangularCriticalTemperature);
    EXPECT_GT(o.exclude_high, kTriangularCriticalTemperature);
    EXPECT_GT(std::fabs(o.critical_estimate - kTriangularCriticalTemperature), 0.1);
    EXPECT_NEAR(o.temperatures.front(), s * sq.grid.start, 1e-5);
    EXPECT_NEAR(o.temperatures.back(), s * sq.grid.stop, 1e-5);
    for (int64_t L : o.sizes) EXPECT_EQ(L % 4, 0);
  }
}

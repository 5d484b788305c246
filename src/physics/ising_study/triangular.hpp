// The triangular-lattice version of the phase-transition study (`physcnn ising --lattice
// triangular`): the same protocol and analysis as the square lattice's, with a native hexagonal
// CNN on the odd-q grid the configurations are stored on, the lattice's own symmetries as
// augmentation, and temperatures scaled from the square protocol by an estimate that does not
// use the exact answer.
#pragma once

#include <cstdint>
#include <memory>

#include "core/rng.hpp"
#include "nn/container.hpp"
#include "physics/ising_study/study.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::physics::ising {

// The Bethe-Peierls estimate T_B(z) = 2 / ln(z / (z - 2)) for coordination z, as the ratio
// T_B(6) / T_B(4) = ln 2 / ln 1.5 = 1.7095: the factor by which the square protocol's
// temperatures are scaled. Only the square lattice's T_c (Onsager) and this ratio enter, so the
// triangular T_c = 4 / ln 3 is never used by the method: the estimate s * 2.2692 = 3.879 is
// 6.5 % above it.
double bethe_temperature_ratio();

// The square protocol (StudyOptions{} or quick_study_options()) with every temperature scaled
// by bethe_temperature_ratio() about T = 0: the grid, the points near the estimated T_c, the
// dense band points, the excluded band and the crossing and collapse windows; the sizes are
// 16, 32, 48 (the pooled grid must stay periodic: L % 4 == 0).
StudyOptions triangular_study_options(bool quick);

// The study's hexagonal network: ising_phase_cnn with hexconv2d / hexpool2d (radius 1, periodic
// boundaries) in place of conv2d / max_pool2d.
std::shared_ptr<nn::Sequential> hex_phase_cnn(uint64_t seed);

// One random symmetry of the periodic odd-q triangular lattice per sample of x (N, C, L, L): a
// translation by any number of rows and an even number of columns (an odd shift would swap the
// column parities), the reflections x -> -x (column c -> -c) and y -> -y (row r -> -r in even
// and -r - 1 in odd columns), and the global spin flip. Each maps neighbours to neighbours, so
// energy and |m| are kept exactly.
Tensor augment_hex_lattices(const Tensor& x, Rng& rng);

}  // namespace physcnn::physics::ising

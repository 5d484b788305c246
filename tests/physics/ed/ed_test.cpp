// Exact diagonalisation against exact results: the published 4x4 energies, a dense
// diagonalisation of small chains and lattices built from the same matrix elements without any
// symmetry, and the free-fermion energy of the transverse-field Ising chain.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "physics/ed/ground_state.hpp"

namespace ed = physcnn::physics::ed;

namespace {

// Lowest eigenpair of a dense symmetric matrix by cyclic Jacobi rotations (textbook, slow).
double jacobi_lowest(std::vector<double> a, int n, std::vector<double>* vec) {
  std::vector<double> v(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i) * n + i] = 1;
  auto A = [&](int i, int j) -> double& { return a[static_cast<size_t>(i) * n + j]; };
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += A(p, q) * A(p, q);
    if (off < 1e-26) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        if (std::fabs(A(p, q)) < 1e-300) continue;
        const double theta = (A(q, q) - A(p, p)) / (2 * A(p, q));
        const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p, q
          const double akp = A(k, p), akq = A(k, q);
          A(k, p) = c * akp - s * akq;
          A(k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rows p, q
          const double apk = A(p, k), aqk = A(q, k);
          A(p, k) = c * apk - s * aqk;
          A(q, k) = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          double& vkp = v[static_cast<size_t>(k) * n + p];
          double& vkq = v[static_cast<size_t>(k) * n + q];
          const double x = vkp, y = vkq;
          vkp = c * x - s * y;
          vkq = s * x + c * y;
        }
      }
  }
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (A(i, i) < A(best, best)) best = i;
  if (vec) {
    vec->resize(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k)
      (*vec)[static_cast<size_t>(k)] = v[static_cast<size_t>(k) * n + best];
  }
  return A(best, best);
}

// The Hamiltonian as a dense matrix on the configurations with `up` spins up (all
// configurations when up < 0), from the connected-configurations API alone.
struct Dense {
  std::vector<ed::Config> states;
  std::vector<double> h;
};
Dense dense(const ed::SpinHamiltonian& ham, int up) {
  Dense d;
  const int n = ham.lattice().n_sites();
  for (ed::Config s = 0; s < (ed::Config{1} << n); ++s)
    if (up < 0 || std::popcount(s) == up) d.states.push_back(s);
  const size_t m = d.states.size();
  d.h.assign(m * m, 0.0);
  auto index = [&](ed::Config s) {
    for (size_t i = 0; i < m; ++i)
      if (d.states[i] == s) return i;
    ADD_FAILURE() << "connected configuration leaves the sector";
    return size_t{0};
  };
  for (size_t i = 0; i < m; ++i) {
    const double diag = ham.for_each_connected(
        d.states[i], [&](ed::Config t, double e) { d.h[index(t) * m + i] += e; });
    d.h[i * m + i] += diag;
  }
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < m; ++j) EXPECT_NEAR(d.h[i * m + j], d.h[j * m + i], 1e-14);
  return d;
}

double ed_energy(const std::string& kind, int lx, int ly, ed::Couplings c,
                 const std::string& momentum = "auto") {
  const ed::SpinHamiltonian h(ed::Lattice(kind, lx, ly), c);
  ed::EdOptions o;
  o.momentum = momentum;
  return ed::ground_state(h, o).energy;
}

}  // namespace

TEST(ExactDiagonalisation, Square4x4HeisenbergMatchesLiterature) {
  ed::Couplings c;
  EXPECT_NEAR(ed_energy("square", 4, 4, c) / 16, -0.70178020, 1e-8);
  c.j2 = 0.5;
  EXPECT_NEAR(ed_energy("square", 4, 4, c) / 16, -0.52862021, 1e-8);
}

TEST(ExactDiagonalisation, LanczosWithoutReorthogonalisationAgrees) {
  const ed::SpinHamiltonian h(ed::Lattice("square", 4, 4), ed::Couplings{});
  ed::EdOptions o;
  o.momentum = "0,0";
  o.lanczos.memory_bytes = 0;  // the three-term recursion and the second pass
  const auto r = ed::ground_state(h, o);
  EXPECT_NEAR(r.energy_per_site, -0.70178020, 1e-8);
  EXPECT_LT(r.ground.residual, 1e-6);
}

TEST(ExactDiagonalisation, ChainsAndSmallLatticesMatchDenseDiagonalisation) {
  struct Case {
    const char* kind;
    int lx, ly;
    double j2;
  };
  for (const Case& k : {Case{"chain", 10, 1, 0.0}, Case{"chain", 10, 1, 0.3},
                        Case{"chain", 8, 1, 0.2}, Case{"square", 4, 2, 0.4}}) {
    ed::Couplings c;
    c.j2 = k.j2;
    const ed::SpinHamiltonian h(ed::Lattice(k.kind, k.lx, k.ly), c);
    const int n = k.lx * k.ly;
    Dense d = dense(h, n / 2);
    std::vector<double> vec;
    const double exact = jacobi_lowest(d.h, static_cast<int>(d.states.size()), &vec);
    const auto r = ed::ground_state(h);
    EXPECT_NEAR(r.energy, exact, 1e-10) << k.kind << " " << k.lx << "x" << k.ly << " J2 " << k.j2;
    // The structure factor at pi from the dense vector directly.
    const double pi = std::acos(-1.0);
    double s_pi = 0;
    for (size_t a = 0; a < d.states.size(); ++a)
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          const double zi = (d.states[a] >> i & 1) ? 0.5 : -0.5;
          const double zj = (d.states[a] >> j & 1) ? 0.5 : -0.5;
          const ed::Lattice& lat = h.lattice();
          const double phase = std::cos(pi * (lat.x(i) - lat.x(j)) +
                                        (lat.is_square() ? pi * (lat.y(i) - lat.y(j)) : 0.0));
          s_pi += vec[a] * vec[a] * zi * zj * phase / n;
        }
    // Only meaningful when the ground state is not degenerate (true for these cases; the
    // Majumdar-Ghosh point J2 = 0.5 is not).
    EXPECT_NEAR(ed::structure_factor(h.lattice(), r.correlation, pi, k.ly > 1 ? pi : 0.0), s_pi,
                1e-8)
        << k.kind << " " << k.lx << " J2 " << k.j2;
  }
}

TEST(ExactDiagonalisation, TransverseFieldIsingChainMatchesFreeFermions) {
  for (double field : {0.5, 1.0, 1.7}) {
    const int n = 12;
    ed::Couplings c;
    c.model = "tfim";
    c.h = field;
    // Even-parity sector, antiperiodic fermions: k = pi (2m + 1) / N.
    double exact = 0;
    for (int m = 0; m < n; ++m)
      exact -=
          std::sqrt(1 + field * field - 2 * field * std::cos(std::acos(-1.0) * (2 * m + 1) / n));
    EXPECT_NEAR(ed_energy("chain", n, 1, c), exact, 1e-9) << "h = " << field;
  }
  // And the dense full space of 8 spins.
  ed::Couplings c;
  c.model = "tfim";
  c.h = 0.8;
  c.j2 = 0.3;
  const ed::SpinHamiltonian h(ed::Lattice("chain", 8), c);
  const Dense d = dense(h, -1);
  EXPECT_NEAR(ed::ground_state(h).energy, jacobi_lowest(d.h, 256, nullptr), 1e-10);
}

TEST(ExactDiagonalisation, TridiagonalLowestEigenpair) {
  const int m = 50;  // the 1D Laplacian: lowest 2 - 2 cos(pi / (m + 1)), vector sin(pi k/(m+1))
  std::vector<double> a(m, 2.0), b(m - 1, -1.0), v;
  const double pi = std::acos(-1.0);
  EXPECT_NEAR(ed::tridiagonal_lowest(a, b, &v), 2 - 2 * std::cos(pi / (m + 1)), 1e-13);
  double norm = 0;
  for (int k = 0; k < m; ++k) norm += std::pow(std::sin(pi * (k + 1) / (m + 1)), 2);
  for (int k = 0; k < m; ++k)
    EXPECT_NEAR(std::fabs(v[static_cast<size_t>(k)]),
                std::sin(pi * (k + 1) / (m + 1)) / std::sqrt(norm), 1e-9);
}

TEST(ExactDiagonalisation, BadLatticesAndCouplingsAreUsageErrors) {
  using physcnn::UsageError;
  EXPECT_THROW(ed::Lattice("triangle", 4, 4), UsageError);
  EXPECT_THROW(ed::Lattice("chain", 1), UsageError);
  EXPECT_THROW(ed::Lattice("chain", 4, 2), UsageError);
  EXPECT_THROW(ed::Lattice("square", 8, 8), UsageError);  // 64 sites
  ed::Couplings c;
  c.j2 = 1;
  EXPECT_THROW(ed::SpinHamiltonian(ed::Lattice("chain", 2), c), UsageError);
  c.j2 = NAN;
  EXPECT_THROW(ed::SpinHamiltonian(ed::Lattice("chain", 4), c), UsageError);
  c.j2 = 0;
  c.h = 1;  // a field on the Heisenberg model
  EXPECT_THROW(ed::SpinHamiltonian(ed::Lattice("chain", 4), c), UsageError);
  c.model = "xyz";
  EXPECT_THROW(ed::SpinHamiltonian(ed::Lattice("chain", 4), c), UsageError);
  const ed::SpinHamiltonian odd(ed::Lattice("chain", 5), ed::Couplings{});
  EXPECT_THROW(ed::ground_state(odd), UsageError);  // no S^z = 0 sector
  const ed::SpinHamiltonian big(ed::Lattice("square", 6, 6), ed::Couplings{});
  EXPECT_THROW(ed::ground_state(big), UsageError);  // past --max-states
  const ed::SpinHamiltonian chain(ed::Lattice("chain", 5 * 2 + 1 - 1), ed::Couplings{});
  ed::EdOptions o;
  o.momentum = "pi,0";
  EXPECT_THROW(ed::ground_state(chain, o), UsageError);
  const ed::SpinHamiltonian sq(ed::Lattice("square", 4, 3), ed::Couplings{});
  o.momentum = "0,pi";  // pi along an odd side
  EXPECT_THROW(ed::ground_state(sq, o), UsageError);
}

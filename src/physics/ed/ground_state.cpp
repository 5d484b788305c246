#include "physics/ed/ground_state.hpp"

#include <bit>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::physics::ed {

void apply_hamiltonian(const SpinHamiltonian& h, const SymmetricBasis& basis, const double* x,
                       double* y) {
  // y_a = sum_b H_ab x_b, gathered row by row (H is symmetric): each connected configuration
  // s' of the representative s_a lands in basis state b with H_ab = h chi sqrt(R_a / R_b).
  parallel_for(0, basis.size(), 2048, [&](int64_t lo, int64_t hi) {
    for (int64_t a = lo; a < hi; ++a) {
      const double ra = basis.sqrt_orbit(a);
      double acc = 0;
      const double diag = h.for_each_connected(basis.representative(a), [&](Config t, double e) {
        const SymmetricBasis::Found f = basis.find(t);
        if (f.index >= 0) acc += e * f.sign * ra / basis.sqrt_orbit(f.index) * x[f.index];
      });
      y[a] = diag * x[a] + acc;
    }
  });
}

namespace {

std::vector<double> correlations(const SymmetricBasis& basis, const std::vector<double>& c) {
  const Lattice& lat = basis.lattice();
  const int n = lat.n_sites();
  // Translations in the order for_each_translation visits them: index tx + Lx*ty.
  std::vector<double> corr(static_cast<size_t>(n), 0.0);
  const int chunks = std::max(1, num_threads());
  std::vector<std::vector<double>> part(static_cast<size_t>(chunks),
                                        std::vector<double>(static_cast<size_t>(n), 0.0));
  const int64_t size = basis.size();
  parallel_for(0, chunks, 1, [&](int64_t clo, int64_t chi) {
    for (int64_t ch = clo; ch < chi; ++ch) {
      auto& p = part[static_cast<size_t>(ch)];
      for (int64_t a = size * ch / chunks; a < size * (ch + 1) / chunks; ++a) {
        const Config s = basis.representative(a);
        const double w = c[static_cast<size_t>(a)] * c[static_cast<size_t>(a)];
        int d = 0;
        basis.for_each_translation(s, [&](Config v, double) {
          p[static_cast<size_t>(d++)] += w * (n - 2 * std::popcount(s ^ v));
        });
      }
    }
  });
  for (const auto& p : part)
    for (int d = 0; d < n; ++d) corr[static_cast<size_t>(d)] += p[static_cast<size_t>(d)];
  for (double& v : corr) v /= 4.0 * n;
  return corr;
}

}  // namespace

EdResult ground_state(const SpinHamiltonian& h, const EdOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Lattice& lat = h.lattice();
  std::vector<Momentum> momenta;
  if (o.momentum == "auto")
    momenta = real_momenta(lat);
  else
    momenta.push_back(parse_momentum(lat, o.momentum));
  EdResult r;
  bool first = true;
  for (const Momentum& k : momenta) {
    const SymmetricBasis basis(lat, h.conserves_sz(), k, o.max_states);
    SectorResult s;
    s.k = k;
    s.states = basis.size();
    if (s.states == 0) continue;
    const LanczosResult l = lanczos_ground_state(
        basis.size(), [&](const double* x, double* y) { apply_hamiltonian(h, basis, x, y); },
        o.lanczos);
    s.energy = l.eigenvalue;
    s.iterations = l.iterations;
    s.residual = l.residual;
    r.sectors.push_back(s);
    if (first || s.energy < r.ground.energy - 1e-12 * std::fabs(s.energy)) {
      r.ground = s;
      r.correlation = correlations(basis, l.vector);
      first = false;
    }
  }
  PHYSCNN_CHECK(!first, NumericalError, "no momentum sector of the ", lat.describe(),
                " holds a state");
  r.energy = r.ground.energy;
  r.energy_per_site = r.energy / lat.n_sites();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

double structure_factor(const Lattice& lattice, const std::vector<double>& correlation, double qx,
                        double qy) {
  double s = 0;
  for (int dy = 0; dy < lattice.ly(); ++dy)
    for (int dx = 0; dx < lattice.lx(); ++dx)
      s += std::cos(qx * dx + qy * dy) * correlation[static_cast<size_t>(dx + lattice.lx() * dy)];
  return s;
}

}  // namespace physcnn::physics::ed

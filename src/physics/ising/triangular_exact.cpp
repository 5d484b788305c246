// Exact results for the triangular lattice: Houtappel's energy, Potts' magnetisation, and
// enumeration of a small periodic lattice.
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "physics/ising/triangular.hpp"

namespace physcnn::physics::ising {

namespace {

// u = -1/2 <D'/D> over the torus [0, 2 pi)^2, D = c^3 + s^3 - s g, g = cos a + cos b + cos(a+b),
// D' = dD/dK = 6 c s (c + s) - 2 c g (c = cosh 2K, s = sinh 2K, K = 1/T), by the n x n
// trapezoid rule (the spectral rule for a periodic integrand).
double houtappel_energy(double K, int n) {
  const double c = std::cosh(2 * K), s = std::sinh(2 * K);
  const double base = c * c * c + s * s * s, dbase = 6 * c * s * (c + s);
  std::vector<double> cosine(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) cosine[size_t(i)] = std::cos(2 * M_PI * i / n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double g = cosine[size_t(i)] + cosine[size_t(j)] + cosine[size_t((i + j) % n)];
      sum += (dbase - 2 * c * g) / (base - s * g);
    }
  }
  return -0.5 * sum / (double(n) * double(n));
}

}  // namespace

double triangular_energy_exact(double temperature) {
  check_temperature("triangular_energy_exact", temperature);
  PHYSCNN_CHECK_ARG(std::fabs(temperature - kTriangularCriticalTemperature) > 1e-3,
                    "triangular_energy_exact: T=", temperature,
                    " is too close to T_c (the integrand is singular there)");
  const double K = 1.0 / temperature;
  // Double the grid until two results agree to 1e-12 (a few hundred points away from T_c).
  double prev = houtappel_energy(K, 64);
  for (int n = 128; n <= 8192; n *= 2) {
    const double next = houtappel_energy(K, n);
    if (std::fabs(next - prev) < 1e-12) return next;
    prev = next;
  }
  return prev;
}

double triangular_magnetisation_exact(double temperature) {
  check_temperature("triangular_magnetisation_exact", temperature);
  if (temperature >= kTriangularCriticalTemperature) return 0.0;
  const double x = std::exp(-4.0 / temperature);
  const double inner = 1.0 - 16.0 * x * x * x / ((1.0 + 3.0 * x) * std::pow(1.0 - x, 3));
  return inner > 0 ? std::pow(inner, 0.125) : 0.0;
}

EnumerationResult enumerate_triangular(int64_t L, double temperature, double field) {
  check_temperature("enumerate_triangular", temperature);
  check_triangular_size("enumerate_triangular", L);
  const int64_t N = L * L;
  PHYSCNN_CHECK_ARG(N <= 24, "enumerate_triangular: 2^", N, " states are too many (L*L <= 24)");
  // The 3N bonds as site pairs: down and the two in the right column of every site.
  std::vector<std::pair<int, int>> bonds;
  int64_t nb[6];
  for (int64_t i = 0; i < N; ++i) {
    triangular_neighbours(L, i, nb);
    for (int k : {1, 4, 5}) bonds.emplace_back(int(i), int(nb[k]));
  }
  // Histogram over (antiparallel bonds, up spins), then the Boltzmann sums, with weights
  // relative to the ordered state's (no overflow at low T).
  const int64_t nE = int64_t(bonds.size()) + 1;
  std::vector<double> hist(size_t(nE * (N + 1)), 0.0);
  for (uint64_t state = 0; state < (uint64_t(1) << N); ++state) {
    int anti = 0;
    for (const auto& [a, b] : bonds) anti += int(((state >> a) ^ (state >> b)) & 1u);
    const int up = __builtin_popcountll(state);
    hist[size_t(anti * (N + 1) + up)] += 1.0;
  }
  double z = 0, e = 0, e2 = 0, am = 0, mm = 0;
  const double n = double(N), e0 = -double(bonds.size()) - std::fabs(field) * n;
  for (int64_t anti = 0; anti < nE; ++anti) {
    for (int64_t up = 0; up <= N; ++up) {
      const double h = hist[size_t(anti * (N + 1) + up)];
      if (h == 0) continue;
      const double M = double(2 * up - N);
      const double E = -double(bonds.size()) + 2.0 * double(anti) - field * M;
      const double w = h * std::exp(-(E - e0) / temperature);
      z += w;
      e += w * E / n;
      e2 += w * (E / n) * (E / n);
      am += w * std::fabs(M) / n;
      mm += w * M / n;
    }
  }
  return {e / z, am / z, e2 / z, mm / z};
}

}  // namespace physcnn::physics::ising

// Neural-quantum-state Monte Carlo against exact enumeration: the RBM's log-derivatives against
// finite differences, the exact force against the derivative of the exact energy, and the
// sampled energy, force and S matrix against the exactly summed ones within 4 sigma (on a 2x2
// lattice and a 4-site chain, the sizes where every configuration can be summed).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "physics/ed/ground_state.hpp"
#include "physics/nqs/rbm.hpp"
#include "physics/nqs/vmc.hpp"

namespace ed = physcnn::physics::ed;
namespace nqs = physcnn::physics::nqs;
using nqs::cplx;

namespace {

struct System {
  ed::Lattice lattice;
  ed::SpinHamiltonian h;
};

System make(const char* kind, int lx, int ly, const char* model) {
  ed::Lattice lat(kind, lx, ly);
  ed::Couplings c;
  c.model = model;
  if (std::string(model) == "tfim") c.h = 0.7;
  c.j2 = 0.3;
  return {lat, ed::SpinHamiltonian(lat, c)};
}

double exact_energy(const ed::SpinHamiltonian& h, const nqs::Wavefunction& psi) {
  const nqs::Ensemble e = nqs::exact_ensemble(h, psi);
  return nqs::moments(h, psi, e, false).energy;
}

}  // namespace

TEST(Rbm, LogDerivativesMatchFiniteDifferences) {
  for (bool symmetric : {false, true}) {
    physcnn::Rng rng(3);
    const ed::Lattice lat("square", 2, 2);
    nqs::Rbm psi(lat, 2, true, 0.3, rng, symmetric);
    std::vector<cplx> o(static_cast<size_t>(psi.n_params()));
    for (ed::Config s : {ed::Config{0b0101}, ed::Config{0b0011}, ed::Config{0b1110}}) {
      const cplx value = psi.log_derivatives(s, o.data());
      EXPECT_NEAR(std::abs(std::exp(value - psi.log_psi(s)) - 1.0), 0.0, 1e-12);
      for (int64_t k = 0; k < psi.n_params(); ++k) {
        const double eps = 1e-6;
        cplx& p = psi.params()[static_cast<size_t>(k)];
        const cplx keep = p;
        p = keep + eps;
        const cplx up = psi.log_psi(s);
        p = keep - eps;
        const cplx down = psi.log_psi(s);
        p = keep;
        const cplx fd = (up - down) / (2 * eps);
        EXPECT_NEAR(std::abs(fd - o[static_cast<size_t>(k)]), 0.0, 1e-7) << "param " << k;
      }
    }
  }
}

TEST(Rbm, SymmetricFormIsTranslationInvariant) {
  physcnn::Rng rng(4);
  const ed::Lattice lat("square", 4, 4);
  const nqs::Rbm psi(lat, 2, true, 0.3, rng, true);
  EXPECT_EQ(psi.n_params(), 1 + 2 + 2 * 16);
  for (ed::Config s : {ed::Config{0x00ff}, ed::Config{0x5a5a},
                       ed::Config{0x1234 | 0x8041}}) {  // 8 up spins: S^z = 0
    const cplx v = psi.log_psi(s);
    for (ed::Config t : {lat.shift_x(s), lat.shift_y(s), lat.shift_x(lat.shift_y(s))}) {
      const cplx d = std::exp(psi.log_psi(t) - v);
      EXPECT_NEAR(d.real(), 1.0, 1e-12);
      EXPECT_NEAR(d.imag(), 0.0, 1e-12);
    }
  }
}

// dE/dRe(theta_k) = 2 Re F_k and dE/dIm(theta_k) = 2 Im F_k.
TEST(Vmc, ExactForceIsHalfTheEnergyGradient) {
  for (const auto& [kind, lx, ly, model] :
       {std::tuple{"square", 2, 2, "heisenberg"}, std::tuple{"chain", 4, 1, "heisenberg"},
        std::tuple{"chain", 4, 1, "tfim"}}) {
    const System sys = make(kind, lx, ly, model);
    physcnn::Rng rng(7);
    nqs::Rbm psi(sys.lattice, 1, false, 0.2, rng, std::string(model) == "tfim");
    const nqs::Moments m = nqs::moments(sys.h, psi, nqs::exact_ensemble(sys.h, psi), false);
    for (int64_t k = 0; k < psi.n_params(); k += 3) {
      const double eps = 1e-5;
      cplx& p = psi.params()[static_cast<size_t>(k)];
      const cplx keep = p;
      p = keep + eps;
      const double up = exact_energy(sys.h, psi);
      p = keep - eps;
      const double down = exact_energy(sys.h, psi);
      p = keep;
      EXPECT_NEAR((up - down) / (2 * eps), 2 * m.force[static_cast<size_t>(k)].real(), 1e-7)
          << kind << " " << model << " param " << k;
      // Along the imaginary part: 2 Im F.
      p = keep + cplx(0, eps);
      const double up_i = exact_energy(sys.h, psi);
      p = keep - cplx(0, eps);
      const double down_i = exact_energy(sys.h, psi);
      p = keep;
      EXPECT_NEAR((up_i - down_i) / (2 * eps), 2 * m.force[static_cast<size_t>(k)].imag(), 1e-7)
          << kind << " " << model << " param " << k << " (imaginary part)";
    }
  }
}

namespace {

// The sampled energy, every force entry and every S entry against the exactly summed ones,
// within 4 sigma (error bars from the spread of per-chain estimates).
void check_sampled_moments(const System& sys, const nqs::Wavefunction& psi, bool exchange,
                           const std::string& label) {
  const nqs::Moments exact = nqs::moments(sys.h, psi, nqs::exact_ensemble(sys.h, psi), true);
  const int chains = 32, per_chain = 1000;
  nqs::MetropolisSampler sampler(sys.lattice, exchange, chains, 5);
  const nqs::Ensemble all = sampler.sample(psi, per_chain, 20);
  EXPECT_GT(all.acceptance, 0.05) << label;
  EXPECT_LT(all.acceptance, 1.0) << label;
  const nqs::Moments sampled = nqs::moments(sys.h, psi, all, true);
  const nqs::Estimate e = nqs::estimate(sampled.local_energy, chains);
  EXPECT_GT(e.error, 0) << label;
  EXPECT_NEAR(e.mean, exact.energy, 4 * e.error) << label;
  EXPECT_NEAR(e.mean, sampled.energy, 1e-12) << label;
  const size_t p = static_cast<size_t>(psi.n_params());
  std::vector<double> sum2_f(2 * p, 0.0), sum2_s(2 * p * p, 0.0);
  for (int c = 0; c < chains; ++c) {
    nqs::Ensemble one;
    one.configs.assign(all.configs.begin() + c * per_chain,
                       all.configs.begin() + (c + 1) * per_chain);
    one.weights.assign(static_cast<size_t>(per_chain), 1.0 / per_chain);
    const nqs::Moments mc = nqs::moments(sys.h, psi, one, true);
    for (size_t k = 0; k < p; ++k) {
      sum2_f[2 * k] += std::pow(mc.force[k].real() - sampled.force[k].real(), 2);
      sum2_f[2 * k + 1] += std::pow(mc.force[k].imag() - sampled.force[k].imag(), 2);
    }
    for (size_t k = 0; k < p * p; ++k) {
      sum2_s[2 * k] += std::pow(mc.s_matrix[k].real() - sampled.s_matrix[k].real(), 2);
      sum2_s[2 * k + 1] += std::pow(mc.s_matrix[k].imag() - sampled.s_matrix[k].imag(), 2);
    }
  }
  auto sigma = [&](double sum2) { return std::sqrt(sum2 / (chains - 1) / chains); };
  int checked = 0, failed = 0;
  for (size_t k = 0; k < p; ++k) {
    const double sr = sigma(sum2_f[2 * k]), si = sigma(sum2_f[2 * k + 1]);
    // Components that vanish identically (by symmetry of the sector) have no spread.
    failed += std::fabs(sampled.force[k].real() - exact.force[k].real()) > 4 * sr + 1e-12;
    failed += std::fabs(sampled.force[k].imag() - exact.force[k].imag()) > 4 * si + 1e-12;
    checked += sr > 0;
  }
  for (size_t k = 0; k < p * p; ++k) {
    const double sr = sigma(sum2_s[2 * k]), si = sigma(sum2_s[2 * k + 1]);
    failed += std::fabs(sampled.s_matrix[k].real() - exact.s_matrix[k].real()) > 4 * sr + 1e-12;
    failed += std::fabs(sampled.s_matrix[k].imag() - exact.s_matrix[k].imag()) > 4 * si + 1e-12;
  }
  // 4 sigma is exceeded with probability 6e-5 per entry; the S matrices here have up to
  // 2 * 10^4 real entries, so a handful may cross it (they are correlated, not independent).
  EXPECT_LE(failed, static_cast<int>(2 * (p + p * p) / 2000 + 1)) << label;
  EXPECT_GT(checked, static_cast<int>(p) / 2) << label << ": most force components fluctuate";
}

}  // namespace

TEST(Vmc, SampledMomentsMatchExactEnumerationWithin4Sigma) {
  for (const auto& [kind, lx, ly, model, exchange] :
       {std::tuple{"square", 2, 2, "heisenberg", true},
        std::tuple{"chain", 4, 1, "heisenberg", true}, std::tuple{"chain", 4, 1, "tfim", false}}) {
    const System sys = make(kind, lx, ly, model);
    physcnn::Rng rng(11);
    const nqs::Rbm psi(sys.lattice, 1, exchange, 0.3, rng);
    check_sampled_moments(sys, psi, exchange, std::string(kind) + " " + model);
  }
}

TEST(Vmc, StochasticReconfigurationOnExactMomentsReachesTheGroundState) {
  const ed::Lattice lat("chain", 8);
  const ed::SpinHamiltonian h(lat, ed::Couplings{});
  const double e0 = ed::ground_state(h).energy;
  physcnn::Rng rng(1);
  nqs::Rbm psi(lat, 1, true, 0.05, rng);
  double energy = 0;
  for (int it = 0; it < 150; ++it) {
    const nqs::Moments m = nqs::moments(h, psi, nqs::exact_ensemble(h, psi), true);
    energy = m.energy;
    const std::vector<cplx> d = nqs::sr_direction(m, 1e-3);
    for (size_t k = 0; k < d.size(); ++k) psi.params()[k] -= 0.1 * d[k];
  }
  EXPECT_LT(std::fabs((energy - e0) / e0), 1e-3) << energy << " vs " << e0;
}

TEST(Vmc, BadSettingsAreUsageErrors) {
  physcnn::Rng rng(1);
  EXPECT_THROW(nqs::Rbm(ed::Lattice("chain", 5), 1, true, 0.1, rng), physcnn::UsageError);
  EXPECT_THROW(nqs::Rbm(ed::Lattice("chain", 4), 0, false, 0.1, rng), physcnn::UsageError);
  EXPECT_THROW(nqs::MetropolisSampler(ed::Lattice("chain", 5), true, 4, 1), physcnn::UsageError);
  EXPECT_THROW(nqs::MetropolisSampler(ed::Lattice("chain", 4), true, 0, 1), physcnn::UsageError);
}

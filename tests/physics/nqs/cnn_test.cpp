// The convolutional wavefunction (physics/nqs/cnn): its batched per-sample log-derivatives
// against finite differences in float64, its symmetries, the exact force against the derivative
// of the exact energy, sampled moments against exact enumeration within 4 sigma, conjugate
// gradients against the direct SR solve, and SR reaching an 8-site chain's ground state.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "physics/ed/ground_state.hpp"
#include "physics/nqs/cnn.hpp"
#include "physics/nqs/vmc.hpp"

namespace ed = physcnn::physics::ed;
namespace nqs = physcnn::physics::nqs;
using nqs::cplx;

namespace {

nqs::CnnOptions options(std::vector<int> channels, bool marshall, bool symmetrize,
                        const char* activation = "tanh") {
  nqs::CnnOptions o;
  o.channels = std::move(channels);
  o.marshall = marshall;
  o.symmetrize = symmetrize;
  o.activation = activation;
  o.init_scale = 0.5;  // a phase head far from zero
  o.dtype = physcnn::DType::F64;
  return o;
}

std::vector<ed::Config> sz0_configs(const ed::Lattice& lat) {
  std::vector<ed::Config> out;
  for (ed::Config s = 0; s <= lat.full_mask(); ++s)
    if (2 * std::popcount(s) == lat.n_sites()) out.push_back(s);
  return out;
}

double exact_energy(const ed::SpinHamiltonian& h, const nqs::Wavefunction& psi) {
  return nqs::moments(h, psi, nqs::exact_ensemble(h, psi), false).energy;
}

}  // namespace

TEST(Cnn, BatchedLogDerivativesMatchFiniteDifferences) {
  for (const auto& [kind, lx, ly, symmetrize, act] :
       {std::tuple{"square", 2, 2, false, "tanh"}, std::tuple{"square", 2, 2, true, "elu"},
        std::tuple{"chain", 4, 1, true, "gelu"}, std::tuple{"square", 4, 2, true, "tanh"}}) {
    const ed::Lattice lat(kind, lx, ly);
    physcnn::Rng rng(3);
    nqs::Cnn psi(lat, options({3, 2}, true, symmetrize, act), rng);
    const std::vector<ed::Config> configs = sz0_configs(lat);
    const auto n = static_cast<int64_t>(configs.size());
    const auto p = static_cast<size_t>(psi.n_params());
    std::vector<cplx> value(configs.size()), logs(configs.size()), o(configs.size() * p);
    psi.log_derivatives_batch(configs.data(), n, value.data(), o.data());
    psi.log_psi_batch(configs.data(), n, logs.data());
    for (size_t i = 0; i < configs.size(); ++i)
      EXPECT_NEAR(std::abs(std::exp(value[i] - logs[i]) - 1.0), 0.0, 1e-12);
    std::vector<cplx> theta = psi.parameters();
    const double eps = 1e-6;
    double worst = 0;
    for (size_t k = 0; k < p; ++k) {
      std::vector<cplx> up(configs.size()), down(configs.size());
      theta[k] += eps;
      psi.set_parameters(theta);
      psi.log_psi_batch(configs.data(), n, up.data());
      theta[k] -= 2 * eps;
      psi.set_parameters(theta);
      psi.log_psi_batch(configs.data(), n, down.data());
      theta[k] += eps;
      for (size_t i = 0; i < configs.size(); ++i) {
        // The log of the ratio stays on the principal branch (phases may wrap).
        const cplx fd =
            (std::log(std::exp(up[i] - logs[i])) - std::log(std::exp(down[i] - logs[i]))) /
            (2 * eps);
        worst = std::max(worst, std::abs(fd - o[i * p + k]));
        EXPECT_NEAR(std::abs(fd - o[i * p + k]), 0.0, 1e-6 * (1 + std::abs(fd)))
            << kind << " symmetrize " << symmetrize << " param " << k << " config " << i;
      }
    }
    psi.set_parameters(theta);
    EXPECT_LT(worst, 1e-6);
  }
}

TEST(Cnn, TranslationAndPointGroupInvariance) {
  const ed::Lattice lat("square", 4, 4);
  physcnn::Rng rng(4);
  const nqs::Cnn plain(lat, options({4}, true, false), rng);
  const nqs::Cnn sym(lat, options({4}, true, true), rng);
  EXPECT_EQ(sym.group_size(), 8);
  bool plain_differs = false;
  for (ed::Config s : {ed::Config{0x00ff}, ed::Config{0x5a5a}, ed::Config{0x1234 | 0x8041}}) {
    for (const nqs::Cnn* psi : {&plain, &sym}) {
      const cplx v = psi->log_psi_one(s);
      for (ed::Config t : {lat.shift_x(s), lat.shift_y(s), lat.shift_x(lat.shift_y(s))}) {
        const cplx d = std::exp(psi->log_psi_one(t) - v);
        EXPECT_NEAR(std::abs(d - 1.0), 0.0, 1e-12);
      }
    }
    for (int g = 1; g < sym.group_size(); ++g) {
      ed::Config t = 0;
      for (int i = 0; i < 16; ++i)
        if (s >> i & 1) t |= ed::Config{1} << sym.group_perm(g)[static_cast<size_t>(i)];
      EXPECT_NEAR(std::abs(std::exp(sym.log_psi_one(t) - sym.log_psi_one(s)) - 1.0), 0.0, 1e-12);
      plain_differs = plain_differs ||
                      std::abs(std::exp(plain.log_psi_one(t) - plain.log_psi_one(s)) - 1.0) > 1e-6;
    }
  }
  EXPECT_TRUE(plain_differs) << "without symmetrize the point group is not a symmetry";
}

// Real parameters: dE/dtheta_k = 2 Re F_k.
TEST(Cnn, ExactForceIsHalfTheEnergyGradient) {
  const ed::Lattice lat("square", 2, 2);
  ed::Couplings c;
  c.j2 = 0.3;
  const ed::SpinHamiltonian h(lat, c);
  physcnn::Rng rng(7);
  nqs::Cnn psi(lat, options({3}, false, true), rng);
  const nqs::Moments m = nqs::moments(h, psi, nqs::exact_ensemble(h, psi), false);
  std::vector<cplx> theta = psi.parameters();
  for (size_t k = 0; k < theta.size(); k += 2) {
    const double eps = 1e-5;
    theta[k] += eps;
    psi.set_parameters(theta);
    const double up = exact_energy(h, psi);
    theta[k] -= 2 * eps;
    psi.set_parameters(theta);
    const double down = exact_energy(h, psi);
    theta[k] += eps;
    psi.set_parameters(theta);
    EXPECT_NEAR((up - down) / (2 * eps), 2 * m.force[k].real(), 1e-7) << "param " << k;
  }
}

TEST(Cnn, SampledMomentsMatchExactEnumerationWithin4Sigma) {
  for (const auto& [kind, lx, ly, model, exchange] :
       {std::tuple{"square", 2, 2, "heisenberg", true},
        std::tuple{"chain", 4, 1, "heisenberg", true}, std::tuple{"chain", 4, 1, "tfim", false}}) {
    const ed::Lattice lat(kind, lx, ly);
    ed::Couplings c;
    c.model = model;
    if (std::string(model) == "tfim") c.h = 0.7;
    c.j2 = 0.3;
    const ed::SpinHamiltonian h(lat, c);
    physcnn::Rng rng(11);
    const nqs::Cnn psi(lat, options({2}, exchange, true), rng);
    const nqs::Moments exact = nqs::moments(h, psi, nqs::exact_ensemble(h, psi), true);
    const int chains = 32, per_chain = 1000;
    nqs::MetropolisSampler sampler(lat, exchange, chains, 5);
    const nqs::Ensemble all = sampler.sample(psi, per_chain, 20);
    EXPECT_GT(all.acceptance, 0.05);
    const nqs::Moments sampled = nqs::moments(h, psi, all, true);
    const nqs::Estimate e = nqs::estimate(sampled.local_energy, chains);
    EXPECT_GT(e.error, 0);
    EXPECT_NEAR(e.mean, exact.energy, 4 * e.error) << kind << " " << model;
    // Error bars of the force and S from the spread of the per-chain estimates.
    const size_t p = static_cast<size_t>(psi.n_params());
    std::vector<double> sum2_f(p, 0.0), sum2_s(p * p, 0.0);
    for (int ch = 0; ch < chains; ++ch) {
      nqs::Ensemble one;
      one.configs.assign(all.configs.begin() + ch * per_chain,
                         all.configs.begin() + (ch + 1) * per_chain);
      one.weights.assign(static_cast<size_t>(per_chain), 1.0 / per_chain);
      const nqs::Moments mc = nqs::moments(h, psi, one, true);
      for (size_t k = 0; k < p; ++k)
        sum2_f[k] += std::pow(mc.force[k].real() - sampled.force[k].real(), 2);
      for (size_t k = 0; k < p * p; ++k)
        sum2_s[k] += std::pow(mc.s_matrix[k].real() - sampled.s_matrix[k].real(), 2);
    }
    auto sigma = [&](double sum2) { return std::sqrt(sum2 / (chains - 1) / chains); };
    int checked = 0, failed = 0;
    for (size_t k = 0; k < p; ++k) {
      failed +=
          std::fabs(sampled.force[k].real() - exact.force[k].real()) > 4 * sigma(sum2_f[k]) + 1e-12;
      checked += sigma(sum2_f[k]) > 0;
    }
    for (size_t k = 0; k < p * p; ++k)
      failed += std::fabs(sampled.s_matrix[k].real() - exact.s_matrix[k].real()) >
                4 * sigma(sum2_s[k]) + 1e-12;
    // The real parts are what SR and the gradient use for real parameters. 4 sigma is crossed
    // with probability 6e-5 per entry; allow one in 2000 of the p + p^2 entries (+1).
    EXPECT_LE(failed, static_cast<int>((p + p * p) / 2000 + 1)) << kind << " " << model;
    EXPECT_GT(checked, static_cast<int>(p) / 2) << kind << " " << model;
  }
}

TEST(Cnn, ConjugateGradientsMatchTheDirectSolve) {
  const ed::Lattice lat("square", 2, 2);
  const ed::SpinHamiltonian h(lat, ed::Couplings{});
  physcnn::Rng rng(5);
  const nqs::Cnn psi(lat, options({3, 3}, true, false), rng);
  const nqs::Moments m = nqs::moments(h, psi, nqs::exact_ensemble(h, psi), true, true);
  const std::vector<cplx> direct = nqs::sr_direction(m, 1e-2);
  const std::vector<cplx> cg = nqs::sr_direction_cg(m, 1e-2, 1e-12, 2000);
  double norm = 0;
  for (const cplx& v : direct) norm = std::max(norm, std::abs(v));
  for (size_t k = 0; k < direct.size(); ++k) {
    EXPECT_NEAR(std::abs(direct[k] - cg[k]), 0.0, 1e-8 * norm) << k;
    EXPECT_EQ(cg[k].imag(), 0.0);
  }
}

TEST(Cnn, SrOnExactMomentsReachesTheChainGroundState) {
  const ed::Lattice lat("chain", 8);
  const ed::SpinHamiltonian h(lat, ed::Couplings{});
  const double e0 = ed::ground_state(h).energy;
  physcnn::Rng rng(1);
  nqs::CnnOptions o = options({4, 4}, true, true);
  o.init_scale = 0.01;
  nqs::Cnn psi(lat, o, rng);
  double energy = 0;
  for (int it = 0; it < 150; ++it) {
    const nqs::Moments m = nqs::moments(h, psi, nqs::exact_ensemble(h, psi), true);
    energy = m.energy;
    const std::vector<cplx> d = nqs::sr_direction(m, 1e-3);
    std::vector<cplx> theta = psi.parameters();
    for (size_t k = 0; k < d.size(); ++k) theta[k] -= 0.1 * d[k];
    psi.set_parameters(theta);
  }
  EXPECT_LT(std::fabs((energy - e0) / e0), 1e-3) << energy << " vs " << e0;
}

TEST(Cnn, BadSettingsAreUsageErrors) {
  physcnn::Rng rng(1);
  const ed::Lattice chain4("chain", 4);
  EXPECT_THROW(nqs::Cnn(ed::Lattice("chain", 5), options({2}, true, false), rng),
               physcnn::UsageError);
  EXPECT_THROW(nqs::Cnn(chain4, options({}, false, false), rng), physcnn::UsageError);
  EXPECT_THROW(nqs::Cnn(chain4, options({0}, false, false), rng), physcnn::UsageError);
  EXPECT_THROW(nqs::Cnn(chain4, options({2}, false, false, "swish"), rng), physcnn::UsageError);
  nqs::CnnOptions even = options({2}, false, false);
  even.kernel = 4;
  EXPECT_THROW(nqs::Cnn(chain4, even, rng), physcnn::UsageError);
  even.kernel = 11;
  EXPECT_THROW(nqs::Cnn(chain4, even, rng), physcnn::UsageError);
}

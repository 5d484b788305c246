// A restricted Boltzmann machine as a variational wavefunction (Carleo & Troyer 2017), the
// baseline ansatz of neural quantum states: with sigma_i = +-1 (bit i set = +1),
//   log psi(s) = sum_i a_i sigma_i + sum_j log cosh(b_j + sum_i W_ji sigma_i)  [+ i pi N_A(s)]
// with complex parameters (a holomorphic ansatz, so log psi carries amplitude and phase), and
// optionally the Marshall sign (-1)^N_A, N_A the up spins on sublattice A (x + y even).
// The translation-symmetric form shares the weights over the lattice's translations T
// (alpha filters f, each applied at every translation; psi(T s) = psi(s) exactly):
//   log psi(s) = a sum_i sigma_i + sum_f sum_T log cosh(b_f + sum_i W_fi sigma_T(i)).
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/ed/lattice.hpp"
#include "physics/nqs/wavefunction.hpp"

namespace physcnn::physics::nqs {

class Rbm : public Wavefunction {
 public:
  // hidden = alpha * sites hidden units; parameters drawn from a normal of width `init_scale`
  // (real and imaginary parts). Throws UsageError for alpha < 1 or a non-positive scale, and
  // for the Marshall sign on a lattice that is not bipartite.
  Rbm(const ed::Lattice& lattice, int alpha, bool marshall, double init_scale, Rng& rng,
      bool symmetric = false);

  int n_visible() const { return n_; }
  int n_hidden() const { return m_; }
  int64_t n_params() const override { return static_cast<int64_t>(params_.size()); }
  bool holomorphic() const override { return true; }
  std::vector<cplx> parameters() const override { return params_; }
  void set_parameters(const std::vector<cplx>& p) override;
  void log_psi_batch(const Config* s, int64_t n, cplx* out) const override;
  void log_derivatives_batch(const Config* s, int64_t n, cplx* value, cplx* o) const override;
  // Layout: a (n), b (m), W (m x n, row j = hidden unit j); symmetric: a (1), b (alpha),
  // W (alpha x n).
  const std::vector<cplx>& params() const { return params_; }
  std::vector<cplx>& params() { return params_; }

  cplx log_psi(Config s) const;
  // log psi(s) and d log psi / d theta_k for every parameter into out[0..n_params).
  cplx log_derivatives(Config s, cplx* out) const;

 private:
  cplx symmetric_log(Config s, cplx* out) const;  // out: derivatives, or null
  int n_, m_;
  bool marshall_, symmetric_;
  int alpha_;
  std::vector<int> perm_;  // symmetric: perm_[t * n + i] = T_t(i)
  Config sublattice_a_ = 0;
  std::vector<cplx> params_;
};

}  // namespace physcnn::physics::nqs

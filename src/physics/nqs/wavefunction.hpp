// The variational wavefunction as the Monte Carlo code sees it: log psi of a batch of
// configurations, and log psi with its per-sample derivatives O_k(s) = d log psi(s) / d theta_k.
// Two kinds of parameters:
//  - holomorphic (the RBM): complex theta, log psi analytic in theta; dE/dRe theta = 2 Re F,
//    dE/dIm theta = 2 Im F, and SR solves the complex system S x = F;
//  - real (the CNN): real theta, O_k complex (amplitude and phase heads); dE/dtheta = 2 Re F,
//    and SR solves (Re S) x = Re F.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "physics/ed/lattice.hpp"

namespace physcnn::physics::nqs {

using ed::Config;
using cplx = std::complex<double>;

class Wavefunction {
 public:
  virtual ~Wavefunction() = default;
  virtual int64_t n_params() const = 0;
  virtual bool holomorphic() const = 0;
  // The parameters as complex numbers (imaginary parts 0 for real parameters); set_parameters
  // takes the same layout (and ignores imaginary parts for real parameters).
  virtual std::vector<cplx> parameters() const = 0;
  virtual void set_parameters(const std::vector<cplx>& p) = 0;
  // out[i] = log psi(s[i]) for i < n.
  virtual void log_psi_batch(const Config* s, int64_t n, cplx* out) const = 0;
  // log psi into value[i] and O_k(s[i]) into o[i * n_params() + k].
  virtual void log_derivatives_batch(const Config* s, int64_t n, cplx* value, cplx* o) const = 0;

  cplx log_psi_one(Config s) const {
    cplx v;
    log_psi_batch(&s, 1, &v);
    return v;
  }
};

}  // namespace physcnn::physics::nqs

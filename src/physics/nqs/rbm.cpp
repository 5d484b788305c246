#include "physics/nqs/rbm.hpp"

#include <bit>
#include <cmath>

#include "core/error.hpp"

namespace physcnn::physics::nqs {

namespace {
// log cosh z, stable for large |Re z|.
cplx log_cosh(cplx z) {
  if (z.real() < 0) z = -z;
  return z + std::log(0.5 * (1.0 + std::exp(-2.0 * z)));
}
}  // namespace

Rbm::Rbm(const ed::Lattice& lattice, int alpha, bool marshall, double init_scale, Rng& rng)
    : n_(lattice.n_sites()), m_(alpha * lattice.n_sites()), marshall_(marshall) {
  PHYSCNN_CHECK_ARG(alpha >= 1, "rbm alpha = ", alpha, ": need at least 1 hidden unit per site");
  PHYSCNN_CHECK_ARG(init_scale > 0 && std::isfinite(init_scale), "rbm init_scale = ", init_scale,
                    ": must be a positive number");
  PHYSCNN_CHECK_ARG(!marshall || lattice.bipartite(),
                    "the Marshall sign needs a bipartite lattice; ", lattice.describe(),
                    " is not (an odd side)");
  for (int i = 0; i < n_; ++i)
    if (lattice.parity(i) == 0) sublattice_a_ |= Config{1} << i;
  params_.resize(static_cast<size_t>(n_ + m_ + m_ * n_));
  for (cplx& p : params_) p = {init_scale * rng.normal(), init_scale * rng.normal()};
}

cplx Rbm::log_psi(Config s) const {
  const cplx* a = params_.data();
  const cplx* b = a + n_;
  const cplx* w = b + m_;
  cplx out = 0;
  for (int i = 0; i < n_; ++i) out += (s >> i & 1) ? a[i] : -a[i];
  for (int j = 0; j < m_; ++j) {
    cplx theta = b[j];
    const cplx* row = w + static_cast<size_t>(j) * n_;
    for (int i = 0; i < n_; ++i) theta += (s >> i & 1) ? row[i] : -row[i];
    out += log_cosh(theta);
  }
  if (marshall_ && (std::popcount(s & sublattice_a_) & 1)) out += cplx(0, std::acos(-1.0));
  return out;
}

cplx Rbm::log_derivatives(Config s, cplx* out) const {
  const cplx* a = params_.data();
  const cplx* b = a + n_;
  const cplx* w = b + m_;
  cplx* da = out;
  cplx* db = out + n_;
  cplx* dw = db + m_;
  cplx value = 0;
  for (int i = 0; i < n_; ++i) {
    const double sigma = (s >> i & 1) ? 1.0 : -1.0;
    da[i] = sigma;
    value += sigma * a[i];
  }
  for (int j = 0; j < m_; ++j) {
    cplx theta = b[j];
    const cplx* row = w + static_cast<size_t>(j) * n_;
    for (int i = 0; i < n_; ++i) theta += (s >> i & 1) ? row[i] : -row[i];
    value += log_cosh(theta);
    const cplx t = std::tanh(theta);
    db[j] = t;
    cplx* drow = dw + static_cast<size_t>(j) * n_;
    for (int i = 0; i < n_; ++i) drow[i] = (s >> i & 1) ? t : -t;
  }
  if (marshall_ && (std::popcount(s & sublattice_a_) & 1)) value += cplx(0, std::acos(-1.0));
  return value;
}

}  // namespace physcnn::physics::nqs

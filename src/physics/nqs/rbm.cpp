#include "physics/nqs/rbm.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace physcnn::physics::nqs {

namespace {
// log cosh z, stable for large |Re z|.
cplx log_cosh(cplx z) {
  if (z.real() < 0) z = -z;
  return z + std::log(0.5 * (1.0 + std::exp(-2.0 * z)));
}
}  // namespace

Rbm::Rbm(const ed::Lattice& lattice, int alpha, bool marshall, double init_scale, Rng& rng,
         bool symmetric)
    : n_(lattice.n_sites()),
      m_(alpha * lattice.n_sites()),
      marshall_(marshall),
      symmetric_(symmetric),
      alpha_(alpha) {
  PHYSCNN_CHECK_ARG(alpha >= 1, "rbm alpha = ", alpha, ": need at least 1 hidden unit per site");
  PHYSCNN_CHECK_ARG(init_scale > 0 && std::isfinite(init_scale), "rbm init_scale = ", init_scale,
                    ": must be a positive number");
  PHYSCNN_CHECK_ARG(!marshall || lattice.bipartite(),
                    "the Marshall sign needs a bipartite lattice; ", lattice.describe(),
                    " is not (an odd side)");
  for (int i = 0; i < n_; ++i)
    if (lattice.parity(i) == 0) sublattice_a_ |= Config{1} << i;
  if (symmetric) {
    for (int ty = 0; ty < lattice.ly(); ++ty)
      for (int tx = 0; tx < lattice.lx(); ++tx)
        for (int i = 0; i < n_; ++i)
          perm_.push_back(lattice.site(lattice.x(i) + tx, lattice.y(i) + ty));
    params_.resize(static_cast<size_t>(1 + alpha + alpha * n_));
  } else {
    params_.resize(static_cast<size_t>(n_ + m_ + m_ * n_));
  }
  for (cplx& p : params_) p = {init_scale * rng.normal(), init_scale * rng.normal()};
}

cplx Rbm::log_psi(Config s) const {
  if (symmetric_) return symmetric_log(s, nullptr);
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
  if (symmetric_) return symmetric_log(s, out);
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

void Rbm::set_parameters(const std::vector<cplx>& p) {
  PHYSCNN_CHECK_ARG(p.size() == params_.size(), "rbm: ", p.size(), " parameters given, it has ",
                    params_.size());
  params_ = p;
}

void Rbm::log_psi_batch(const Config* s, int64_t n, cplx* out) const {
  parallel_for(0, n, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = log_psi(s[i]);
  });
}

void Rbm::log_derivatives_batch(const Config* s, int64_t n, cplx* value, cplx* o) const {
  const int64_t p = n_params();
  parallel_for(0, n, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) value[i] = log_derivatives(s[i], o + i * p);
  });
}

cplx Rbm::symmetric_log(Config s, cplx* out) const {
  const cplx a = params_[0];
  const cplx* b = params_.data() + 1;
  const cplx* w = b + alpha_;
  double sigma[64];
  double total = 0;
  for (int i = 0; i < n_; ++i) total += sigma[i] = (s >> i & 1) ? 1.0 : -1.0;
  cplx value = a * total;
  if (out) {
    std::fill(out, out + n_params(), cplx(0));
    out[0] = total;
  }
  for (int t = 0; t * n_ < static_cast<int>(perm_.size()); ++t) {
    const int* p = &perm_[static_cast<size_t>(t) * n_];
    for (int f = 0; f < alpha_; ++f) {
      const cplx* row = w + static_cast<size_t>(f) * n_;
      cplx theta = b[f];
      for (int i = 0; i < n_; ++i) theta += row[i] * sigma[p[i]];
      value += log_cosh(theta);
      if (out) {
        const cplx th = std::tanh(theta);
        out[1 + f] += th;
        cplx* drow = out + 1 + alpha_ + static_cast<size_t>(f) * n_;
        for (int i = 0; i < n_; ++i) drow[i] += th * sigma[p[i]];
      }
    }
  }
  if (marshall_ && (std::popcount(s & sublattice_a_) & 1)) value += cplx(0, std::acos(-1.0));
  return value;
}

}  // namespace physcnn::physics::nqs

// Spin-1/2 Hamiltonians on a periodic lattice with their matrix elements generated on the fly:
// for a configuration s, the diagonal element H_ss and every connected configuration s' != s
// with H_s's. Exact diagonalisation and the neural-quantum-state local energy
// E_loc(s) = sum_s' H_ss' psi(s')/psi(s) both use this one API.
//
//   heisenberg:  H = J1 sum_<ij> S_i.S_j + J2 sum_<<ij>> S_i.S_j       (S = sigma/2)
//   tfim:        H = -J1 sum_<ij> sz_i sz_j - J2 sum_<<ij>> sz_i sz_j - h sum_i sx_i  (Pauli)
#pragma once

#include <string>
#include <vector>

#include "physics/ed/lattice.hpp"

namespace physcnn::physics::ed {

struct Couplings {
  std::string model = "heisenberg";  // heisenberg or tfim
  double j1 = 1.0, j2 = 0.0;
  double h = 0.0;  // transverse field (tfim only)
};

class SpinHamiltonian {
 public:
  // Throws UsageError for an unknown model, non-finite couplings, a field on the Heisenberg
  // model, or a J2 bond that joins a site to itself.
  SpinHamiltonian(const Lattice& lattice, const Couplings& couplings);

  const Lattice& lattice() const { return lattice_; }
  const Couplings& couplings() const { return couplings_; }
  bool conserves_sz() const { return couplings_.model == "heisenberg"; }
  std::string describe() const;  // "Heisenberg J1 = 1, J2 = 0.5"

  // Calls f(s', H_s's) for each connected configuration s' != s (a configuration can appear more
  // than once when two terms reach it) and returns the diagonal element H_ss.
  template <class F>
  double for_each_connected(Config s, F&& f) const {
    double diag = 0;
    for (const Term& t : exchange_) {
      const Config both = s & t.mask;
      if (both == 0 || both == t.mask) {
        diag += 0.25 * t.coupling;
      } else {
        diag -= 0.25 * t.coupling;
        f(s ^ t.mask, 0.5 * t.coupling);
      }
    }
    for (const Term& t : zz_) {
      const Config both = s & t.mask;
      diag += (both == 0 || both == t.mask) ? -t.coupling : t.coupling;
    }
    if (couplings_.h != 0)
      for (int i = 0; i < n_; ++i) f(s ^ (Config{1} << i), -couplings_.h);
    return diag;
  }

  // The same as lists (cleared first): the form the batched NQS local energy uses.
  struct Connected {
    double diagonal = 0;
    std::vector<Config> configs;
    std::vector<double> elements;
  };
  void connected(Config s, Connected& out) const;
  // Most off-diagonal elements any configuration can have (for sizing batches).
  int max_connected() const;

 private:
  struct Term {
    Config mask;  // the two sites' bits
    double coupling;
  };
  Lattice lattice_;
  Couplings couplings_;
  int n_;
  std::vector<Term> exchange_, zz_;
};

}  // namespace physcnn::physics::ed

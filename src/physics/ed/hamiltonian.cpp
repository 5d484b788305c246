#include "physics/ed/hamiltonian.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace physcnn::physics::ed {

SpinHamiltonian::SpinHamiltonian(const Lattice& lattice, const Couplings& c)
    : lattice_(lattice), couplings_(c), n_(lattice.n_sites()) {
  PHYSCNN_CHECK_ARG(c.model == "heisenberg" || c.model == "tfim", "unknown model '", c.model,
                    "': expected heisenberg or tfim");
  PHYSCNN_CHECK_ARG(std::isfinite(c.j1) && std::isfinite(c.j2) && std::isfinite(c.h),
                    "couplings must be finite numbers, got J1 = ", c.j1, ", J2 = ", c.j2,
                    ", h = ", c.h);
  PHYSCNN_CHECK_ARG(c.model == "tfim" || c.h == 0, "the transverse field h = ", c.h,
                    " belongs to the tfim model; the Heisenberg model has none");
  auto& terms = c.model == "heisenberg" ? exchange_ : zz_;
  for (const auto& [bonds, j] :
       {std::pair{&lattice.j1_bonds(), c.j1}, {&lattice.j2_bonds(), c.j2}}) {
    if (j == 0) continue;
    for (const Bond& b : *bonds) {
      PHYSCNN_CHECK_ARG(b.i != b.j, "on the ", lattice.describe(),
                        " a J2 bond joins a site to itself; use a longer chain or J2 = 0");
      terms.push_back({(Config{1} << b.i) | (Config{1} << b.j), j});
    }
  }
}

std::string SpinHamiltonian::describe() const {
  std::ostringstream os;
  os << (couplings_.model == "heisenberg" ? "Heisenberg" : "transverse-field Ising")
     << " J1 = " << couplings_.j1 << ", J2 = " << couplings_.j2;
  if (couplings_.model == "tfim") os << ", h = " << couplings_.h;
  return os.str();
}

void SpinHamiltonian::connected(Config s, Connected& out) const {
  out.configs.clear();
  out.elements.clear();
  out.diagonal = for_each_connected(s, [&](Config t, double e) {
    out.configs.push_back(t);
    out.elements.push_back(e);
  });
}

int SpinHamiltonian::max_connected() const {
  return static_cast<int>(exchange_.size()) + (couplings_.h != 0 ? n_ : 0);
}

}  // namespace physcnn::physics::ed

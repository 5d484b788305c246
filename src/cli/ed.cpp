// `physcnn ed`: exact ground state of a spin-1/2 model on a small periodic lattice by Lanczos.
#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "physics/ed/ground_state.hpp"

namespace physcnn::cli {

Run add_ed(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ed",
      "Exact diagonalisation: the ground-state energy per site and the spin structure factor of "
      "the spin-1/2 J1-J2 Heisenberg model or the transverse-field Ising model on a periodic "
      "chain or square lattice (Lanczos in the S^z = 0 sector, one lattice momentum at a "
      "time).\nExample: physcnn ed --lattice square --L 4 --J2 0.5");
  struct Args {
    std::string lattice = "square", model = "heisenberg", momentum = "auto";
    int l = 4, ly = 0;
    double j1 = 1.0, j2 = 0.0, h = 0.0, max_states = 5e7;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--lattice", a->lattice, "chain or square")->capture_default_str();
  cmd->add_option("--L", a->l, "sites along x (the chain length)")->capture_default_str();
  cmd->add_option("--Ly", a->ly, "sites along y on the square lattice (default: L)");
  cmd->add_option("--model", a->model, "heisenberg or tfim")->capture_default_str();
  cmd->add_option("--J1", a->j1, "nearest-neighbour coupling")->capture_default_str();
  cmd->add_option("--J2", a->j2, "next-nearest-neighbour coupling")->capture_default_str();
  cmd->add_option("--h", a->h, "transverse field (tfim)")->capture_default_str();
  cmd->add_option("--momentum", a->momentum,
                  "auto (every real momentum, lowest kept), or 0 / pi per direction: 0,0 pi,pi")
      ->capture_default_str();
  cmd->add_option("--max-states", a->max_states, "refuse bases larger than this")
      ->capture_default_str();
  return [a]() {
    const int ly = a->lattice == "square" ? (a->ly > 0 ? a->ly : a->l) : (a->ly > 0 ? a->ly : 1);
    const physics::ed::Lattice lattice(a->lattice, a->l, ly);
    physics::ed::Couplings c;
    c.model = a->model;
    c.j1 = a->j1;
    c.j2 = a->j2;
    c.h = a->h;
    const physics::ed::SpinHamiltonian h(lattice, c);
    physics::ed::EdOptions o;
    o.momentum = a->momentum;
    o.max_states = a->max_states;
    const auto r = physics::ed::ground_state(h, o);
    std::printf("%s, %s\n", lattice.describe().c_str(), h.describe().c_str());
    std::printf("%-10s %-12s %-22s %s\n", "momentum", "states", "E/N", "Lanczos steps");
    for (const auto& s : r.sectors)
      std::printf("%-10s %-12lld %-22.12f %d\n", s.k.describe(lattice).c_str(), (long long)s.states,
                  s.energy / lattice.n_sites(), s.iterations);
    std::printf("\nground state in momentum %s%s (%.2f s)\n", r.ground.k.describe(lattice).c_str(),
                h.conserves_sz() ? ", S^z = 0" : "", r.seconds);
    std::printf("E   = %.12f\n", r.energy);
    std::printf("E/N = %.12f\n", r.energy_per_site);
    const bool sq = lattice.is_square();
    const double pi = std::acos(-1.0);
    const double s_pi = physics::ed::structure_factor(lattice, r.correlation, pi, sq ? pi : 0.0);
    const double s_0 = physics::ed::structure_factor(lattice, r.correlation, 0.0, 0.0);
    std::printf("S(%s) = %.12f    S(0) = %.12f    [S(q) = (1/N) sum_ij e^(iq.r_ij) <Sz_i Sz_j>]\n",
                sq ? "pi,pi" : "pi", s_pi, s_0);
    return 0;
  };
}

}  // namespace physcnn::cli

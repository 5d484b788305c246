// The Ising phase-transition run report: plots (PNG + SVG) and a self-contained index.html built
// from the run folder's metrics.json (layout: physics/ising_study/study.cpp).
#pragma once

#include <string>

namespace physcnn::viz {

// Reads run_dir/metrics.json and writes into run_dir: p_ordered, crossing, training and
// monte_carlo as .png and .svg, and index.html. While run_dir/RUNNING exists the page reloads
// itself every 10 s (live view); written without that file, it does not.
// Throws IoError naming metrics.json when it is missing, not JSON, or has wrongly typed fields.
void write_ising_report(const std::string& run_dir);

// Onsager's exact internal energy per spin of the infinite square lattice (J = 1, k_B = 1,
// h = 0): u = -coth(2β) [1 + (2/π)(2 tanh²(2β) - 1) K(κ)], κ = 2 sinh(2β) / cosh²(2β)
// (Onsager 1944; Huang, Statistical Mechanics, eq. 15.141). Kept here because viz may not use
// physics/. Returns -√2 at T_c, where K diverges but its prefactor vanishes.
double exact_ising_energy_per_spin(double temperature);

}  // namespace physcnn::viz

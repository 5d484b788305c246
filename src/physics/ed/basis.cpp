#include "physics/ed/basis.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace physcnn::physics::ed {

std::string Momentum::describe(const Lattice& lattice) const {
  const char* names[2] = {"0", "pi"};
  if (!lattice.is_square()) return names[kx];
  return std::string("(") + names[kx] + "," + names[ky] + ")";
}

std::vector<Momentum> real_momenta(const Lattice& lattice) {
  std::vector<Momentum> out;
  const int nx = lattice.lx() % 2 == 0 ? 2 : 1;
  const int ny = lattice.is_square() && lattice.ly() % 2 == 0 ? 2 : 1;
  for (int kx = 0; kx < nx; ++kx)
    for (int ky = 0; ky < ny; ++ky) out.push_back({kx, ky});
  return out;
}

Momentum parse_momentum(const Lattice& lattice, const std::string& text) {
  const std::string hint =
      lattice.is_square() ? "two components, e.g. 0,0 or pi,pi" : "one component, 0 or pi";
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  PHYSCNN_CHECK_ARG(parts.size() == (lattice.is_square() ? 2u : 1u), "momentum '", text, "': the ",
                    lattice.describe(), " takes ", hint);
  int k[2] = {0, 0};
  for (size_t d = 0; d < parts.size(); ++d) {
    PHYSCNN_CHECK_ARG(parts[d] == "0" || parts[d] == "pi", "momentum '", text, "': component '",
                      parts[d], "' must be 0 or pi");
    k[d] = parts[d] == "pi";
    const int side = d == 0 ? lattice.lx() : lattice.ly();
    PHYSCNN_CHECK_ARG(k[d] == 0 || side % 2 == 0, "momentum '", text,
                      "': pi needs an even side, the lattice has ", side);
  }
  return {k[0], k[1]};
}

double estimated_states(const Lattice& lattice, bool sz0) {
  const int n = lattice.n_sites();
  double configs = std::ldexp(1.0, n);
  if (sz0) configs = std::exp(std::lgamma(n + 1.0) - 2 * std::lgamma(n / 2 + 1.0));
  return configs / n;
}

SymmetricBasis::Rep SymmetricBasis::representative_of(Config s) const {
  Rep r{s, 1.0, true, 0};
  int stabiliser = 0;
  for_each_translation(s, [&](Config v, double chi) {
    if (v < r.rep) {
      r.rep = v;
      r.sign = chi;
    }
    if (v == s) {
      ++stabiliser;
      if (chi < 0) r.alive = false;
    }
  });
  r.orbit = lattice_.n_sites() / stabiliser;
  return r;
}

SymmetricBasis::SymmetricBasis(const Lattice& lattice, bool sz0, Momentum k, double max_states)
    : lattice_(lattice), k_(k) {
  const int n = lattice.n_sites();
  PHYSCNN_CHECK_ARG(!sz0 || n % 2 == 0, "the ", lattice.describe(),
                    " has an odd number of sites: there is no S^z = 0 sector");
  const double estimate = estimated_states(lattice, sz0);
  PHYSCNN_CHECK_ARG(estimate <= max_states, "the ", lattice.describe(), " needs about ",
                    static_cast<long long>(estimate), " basis states per momentum (",
                    estimate * 40 / 1e9, " GB and a long run); the limit is ",
                    static_cast<long long>(max_states), " (--max-states)");
  sqrt_table_.resize(static_cast<size_t>(n) + 1);
  for (int r = 0; r <= n; ++r) sqrt_table_[static_cast<size_t>(r)] = std::sqrt(double(r));
  auto consider = [&](Config s) {
    // Early exit: s is no representative as soon as a smaller translate appears.
    bool smaller = false;
    for_each_translation(s, [&](Config v, double) { smaller = smaller || v < s; });
    if (smaller) return;
    const Rep r = representative_of(s);
    if (!r.alive) return;
    reps_.push_back(s);
    orbit_.push_back(static_cast<uint8_t>(r.orbit));
  };
  reps_.reserve(static_cast<size_t>(estimate * 1.05) + 16);
  orbit_.reserve(reps_.capacity());
  if (sz0) {
    // Every word with n/2 bits set, in increasing order (Gosper's hack).
    Config s = (Config{1} << (n / 2)) - 1;
    const Config end = Config{1} << n;
    while (s < end) {
      consider(s);
      const Config c = s & (~s + 1), r = s + c;
      s = (((r ^ s) >> 2) / c) | r;
    }
  } else {
    for (Config s = 0; s <= lattice.full_mask(); ++s) consider(s);
  }
}

SymmetricBasis::Found SymmetricBasis::find(Config s) const {
  Config best = s;
  double sign = 1.0;
  for_each_translation(s, [&](Config v, double chi) {
    if (v < best) {
      best = v;
      sign = chi;
    }
  });
  const auto it = std::lower_bound(reps_.begin(), reps_.end(), best);
  if (it == reps_.end() || *it != best) return {-1, 0.0};
  return {it - reps_.begin(), sign};
}

}  // namespace physcnn::physics::ed

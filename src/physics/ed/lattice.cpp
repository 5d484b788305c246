#include "physics/ed/lattice.hpp"

#include "core/error.hpp"

namespace physcnn::physics::ed {

Lattice::Lattice(const std::string& kind, int lx, int ly) : kind_(kind), lx_(lx), ly_(ly) {
  PHYSCNN_CHECK_ARG(kind == "chain" || kind == "square", "unknown lattice '", kind,
                    "': expected chain or square");
  if (kind == "chain") {
    PHYSCNN_CHECK_ARG(ly == 1, "a chain has one row, got Ly = ", ly);
    PHYSCNN_CHECK_ARG(lx >= 2, "chain length L = ", lx, ": need at least 2 sites");
  } else {
    PHYSCNN_CHECK_ARG(lx >= 2 && ly >= 2, "square lattice ", lx, "x", ly,
                      ": need at least 2 sites along each side");
  }
  PHYSCNN_CHECK_ARG(lx <= kMaxSites && ly <= kMaxSites && lx * ly <= kMaxSites, "lattice ", lx, "x",
                    ly, " has ", static_cast<long long>(lx) * ly, " sites; at most ", kMaxSites,
                    " fit a configuration word");
  const int n = n_sites();
  full_ = (Config{1} << n) - 1;
  for (int yy = 0; yy < ly; ++yy) col0_ |= Config{1} << (lx * yy);
  not_col0_ = ~col0_;
  for (int s = 0; s < n; ++s) {
    const int xx = x(s), yy = y(s);
    if (kind == "chain") {
      j1_.push_back({s, site(xx + 1, 0)});
      j2_.push_back({s, site(xx + 2, 0)});
    } else {
      j1_.push_back({s, site(xx + 1, yy)});
      j1_.push_back({s, site(xx, yy + 1)});
      j2_.push_back({s, site(xx + 1, yy + 1)});
      j2_.push_back({s, site(xx + 1, yy - 1)});
    }
  }
}

int Lattice::site(int xx, int yy) const {
  xx = ((xx % lx_) + lx_) % lx_;
  yy = ((yy % ly_) + ly_) % ly_;
  return xx + lx_ * yy;
}

std::pair<int, int> Lattice::displacement(int i, int j) const {
  return {((x(j) - x(i)) % lx_ + lx_) % lx_, ((y(j) - y(i)) % ly_ + ly_) % ly_};
}

std::string Lattice::describe() const {
  if (kind_ == "chain") return "chain of " + std::to_string(lx_) + " sites";
  return "square " + std::to_string(lx_) + "x" + std::to_string(ly_) + " (" +
         std::to_string(n_sites()) + " sites)";
}

}  // namespace physcnn::physics::ed

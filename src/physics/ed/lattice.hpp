// Periodic lattices for spin-1/2 exact diagonalisation and neural quantum states: a chain of L
// sites or an Lx x Ly square torus. A configuration is a 64-bit word, bit i = spin up on site
// i = x + Lx*y; translations act on whole words with shifts and masks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace physcnn::physics::ed {

using Config = uint64_t;

// A pair of sites coupled by a bond.
struct Bond {
  int i = 0, j = 0;
};

class Lattice {
 public:
  // kind is "chain" (ly must be 1) or "square". Throws UsageError for an unknown kind, fewer
  // than 2 sites along a direction, or more than kMaxSites sites.
  Lattice(const std::string& kind, int lx, int ly = 1);
  static constexpr int kMaxSites = 62;

  const std::string& kind() const { return kind_; }
  bool is_square() const { return kind_ == "square"; }
  int lx() const { return lx_; }
  int ly() const { return ly_; }
  int n_sites() const { return lx_ * ly_; }
  int x(int site) const { return site % lx_; }
  int y(int site) const { return site / lx_; }
  int site(int x, int y) const;  // periodic: any integers
  std::string describe() const;  // "square 4x4 (16 sites)"

  // Nearest-neighbour bonds (sum over r of r-(r+x), and r-(r+y) on the square lattice) and
  // next-nearest (r-(r+2x) on the chain; r-(r+x+y), r-(r+x-y) on the square lattice). Each is
  // the translation-invariant sum over sites, so on sides shorter than 3 a pair can appear twice.
  const std::vector<Bond>& j1_bonds() const { return j1_; }
  const std::vector<Bond>& j2_bonds() const { return j2_; }

  // Sublattice parity (x + y) mod 2, for the Marshall sign on bipartite lattices.
  int parity(int site) const { return (x(site) + y(site)) & 1; }
  bool bipartite() const { return lx_ % 2 == 0 && (ly_ == 1 || ly_ % 2 == 0); }

  Config full_mask() const { return full_; }
  // One lattice step along x (site (x, y) -> (x+1, y)) and along y, on every bit of a word.
  Config shift_x(Config s) const {
    return ((s << 1) & not_col0_ & full_) | ((s >> (lx_ - 1)) & col0_);
  }
  Config shift_y(Config s) const {
    return ly_ == 1 ? s : ((s << lx_) | (s >> (n_sites() - lx_))) & full_;
  }
  // The displacement of site j from site i, reduced to [0, L).
  std::pair<int, int> displacement(int i, int j) const;

 private:
  std::string kind_;
  int lx_, ly_;
  Config full_ = 0, col0_ = 0, not_col0_ = 0;
  std::vector<Bond> j1_, j2_;
};

}  // namespace physcnn::physics::ed

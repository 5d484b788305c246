// Hexagonal grids stored as hexagdly stores them: a (rows, columns) array whose odd columns
// (0-based column index 1, 3, ...) sit half a cell lower than the even ones ("odd-q" offset
// coordinates, flat-topped cells, rows counted downwards). Conversions to axial coordinates
// (where neighbourhoods, distances and 60-degree rotations are simple integer maths) and to
// Cartesian cell centres (neighbour spacing 1).
#pragma once

#include <cstdint>
#include <vector>

namespace physcnn::nn {

struct HexOffset {  // an array index: column c, row r (odd columns shifted down by half a cell)
  int64_t col = 0, row = 0;
  bool operator==(const HexOffset&) const = default;
};
struct HexAxial {  // axial coordinates: q along the columns, r along the column's own axis
  int64_t q = 0, r = 0;
  bool operator==(const HexAxial&) const = default;
};
struct HexPoint {  // Cartesian centre: x to the right, y downwards, neighbours 1 apart
  double x = 0, y = 0;
};

HexAxial offset_to_axial(HexOffset o);
HexOffset axial_to_offset(HexAxial a);
HexPoint offset_to_cartesian(HexOffset o);
HexPoint axial_to_cartesian(HexAxial a);
// Number of steps between neighbours from a to b.
int64_t hex_distance(HexAxial a, HexAxial b);
// a rotated by +60 degrees about the origin (a 6-fold rotation of the lattice).
HexAxial hex_rotate60(HexAxial a);
// The axial offsets of a neighbourhood of radius k (k rings: 1 + 3k(k+1) cells), in a fixed
// order (q ascending, then r ascending); the order of a hexconv2d weight's last dimension.
std::vector<HexAxial> hex_taps(int64_t k);
inline int64_t hex_tap_count(int64_t k) {
  return 1 + 3 * k * (k + 1);
}

}  // namespace physcnn::nn

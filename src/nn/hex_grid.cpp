// Offset/axial/Cartesian conversions of the odd-q hexagonal grid (see nn/hex_grid.hpp).
#include "nn/hex_grid.hpp"

#include <cmath>
#include <cstdlib>

namespace physcnn::nn {

namespace {
// floor(c / 2) for negative columns too: the shift of column c's axial origin.
int64_t half_down(int64_t c) {
  return (c - (c & 1)) / 2;
}
}  // namespace

HexAxial offset_to_axial(HexOffset o) {
  return {o.col, o.row - half_down(o.col)};
}

HexOffset axial_to_offset(HexAxial a) {
  return {a.q, a.r + half_down(a.q)};
}

HexPoint offset_to_cartesian(HexOffset o) {
  return {std::sqrt(3.0) / 2.0 * double(o.col), double(o.row) + ((o.col & 1) ? 0.5 : 0.0)};
}

HexPoint axial_to_cartesian(HexAxial a) {
  return {std::sqrt(3.0) / 2.0 * double(a.q), double(a.r) + 0.5 * double(a.q)};
}

int64_t hex_distance(HexAxial a, HexAxial b) {
  const int64_t dq = a.q - b.q, dr = a.r - b.r;
  return (std::llabs(dq) + std::llabs(dr) + std::llabs(dq + dr)) / 2;
}

HexAxial hex_rotate60(HexAxial a) {
  // Cube coordinates (x, y, z) = (q, -q - r, r) rotate as (x, y, z) -> (-z, -x, -y).
  return {-a.r, a.q + a.r};
}

std::vector<HexAxial> hex_taps(int64_t k) {
  std::vector<HexAxial> taps;
  for (int64_t q = -k; q <= k; ++q)
    for (int64_t r = -k; r <= k; ++r)
      if (hex_distance({q, r}, {0, 0}) <= k) taps.push_back({q, r});
  return taps;
}

}  // namespace physcnn::nn

// Multi-spin coded Metropolis and Wolff updates on the triangular lattice (odd-q grid).
#include "physics/ising/triangular_multispin.hpp"

#include <cmath>

#include "core/error.hpp"
#include "physics/ising/multispin_impl.hpp"
#include "physics/ising/triangular.hpp"
#include "physics/ising/wolff_impl.hpp"

namespace physcnn::physics::ising {

TriangularMultiSpin::TriangularMultiSpin(int64_t size, Rng rng) : size_(size), rng_(rng) {
  check_triangular_size("TriangularMultiSpin", size);
  spins_.assign(size_t(size * size), ~uint64_t(0));
  set_parameters(1.0, 0.0);
}

void TriangularMultiSpin::set_parameters(double temperature, double field) {
  check_temperature("TriangularMultiSpin::set_parameters", temperature);
  PHYSCNN_CHECK_ARG(std::isfinite(field),
                    "TriangularMultiSpin::set_parameters: field must be finite, got h=", field);
  field_ = field;
  for (int c = 0; c < 14; ++c) {
    const int k = c % 7, s = c >= 7 ? 1 : -1;
    const double dE = 2.0 * (6 - 2 * k) + 2.0 * field * s;
    const double p = dE <= 0.0 ? 1.0 : std::exp(-dE / temperature);
    set_acceptance(size_t(c), p, certain_, threshold_bits_);
  }
  wolff_threshold_ = detail::wolff_threshold(1.0 - std::exp(-2.0 / temperature));
}

void TriangularMultiSpin::fill_random() {
  for (auto& w : spins_) w = rng_.next();
}

void TriangularMultiSpin::fill_ordered(uint64_t up_mask) {
  for (auto& w : spins_) w = up_mask;
}

void TriangularMultiSpin::set_replica(int replica, const Lattice& lat) {
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas && lat.size == size_,
                    "TriangularMultiSpin::set_replica: replica ", replica, " of ", kReplicas,
                    ", lattice L=", lat.size, " vs engine L=", size_);
  set_replica_bits(spins_, replica, lat.spins.data());
}

void TriangularMultiSpin::copy_replica(int replica, int8_t* out) const {
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas,
                    "TriangularMultiSpin::copy_replica: replica ", replica, " not in [0, ",
                    kReplicas, ")");
  copy_replica_bits(spins_, replica, out);
}

Lattice TriangularMultiSpin::replica(int replica) const {
  Lattice lat{size_, std::vector<int8_t>(spins_.size())};
  copy_replica(replica, lat.spins.data());
  return lat;
}

namespace {

// k = number of antiparallel neighbours (0..6) per bit, bit-sliced into (b2 b1 b0): two full
// adders over three inputs each, then their sums and carries added.
struct SixCount {
  uint64_t b0, b1, b2;
  SixCount(uint64_t s, const uint64_t n[6]) {
    const uint64_t a0 = s ^ n[0], a1 = s ^ n[1], a2 = s ^ n[2];
    const uint64_t a3 = s ^ n[3], a4 = s ^ n[4], a5 = s ^ n[5];
    const uint64_t s1 = a0 ^ a1 ^ a2, c1 = (a0 & a1) | (a2 & (a0 ^ a1));
    const uint64_t s2 = a3 ^ a4 ^ a5, c2 = (a3 & a4) | (a5 & (a3 ^ a4));
    const uint64_t c0 = s1 & s2;  // weight 2, like c1 and c2
    b0 = s1 ^ s2;
    b1 = c1 ^ c2 ^ c0;
    b2 = (c1 & c2) | (c0 & (c1 ^ c2));
  }
  uint64_t exactly(int k) const {
    return ((k & 1) ? b0 : ~b0) & ((k & 2) ? b1 : ~b1) & ((k & 4) ? b2 : ~b2);
  }
};

}  // namespace

void TriangularMultiSpin::metropolis_sweep() {
  const int64_t L = size_;
  uint64_t* sp = spins_.data();
  Xoshiro256 rng = rng_;
  const auto certain = certain_;
  const auto& bits = threshold_bits_;
  uint64_t p12_8_4[32][3];  // h = 0: classes 7 + k for k = 0, 1, 2 (dE = 12, 8, 4)
  for (int j = 0; j < 32; ++j)
    for (int k = 0; k < 3; ++k) p12_8_4[j][k] = bits[size_t(j)][size_t(7 + k)];
  const bool no_field = field_ == 0.0;
  for (int64_t r = 0; r < L; ++r) {
    uint64_t* row = sp + r * L;
    const uint64_t* up = sp + (r == 0 ? L - 1 : r - 1) * L;
    const uint64_t* down = sp + (r == L - 1 ? 0 : r + 1) * L;
    for (int64_t c = 0; c < L; ++c) {
      const int64_t cl = c == 0 ? L - 1 : c - 1, cr = c == L - 1 ? 0 : c + 1;
      const uint64_t* a = (c & 1) ? row : up;  // rows met in the neighbour columns
      const uint64_t* b = (c & 1) ? down : row;
      const uint64_t n[6] = {up[c], down[c], a[cl], b[cl], a[cr], b[cr]};
      const uint64_t s = row[c];
      const SixCount k(s, n);
      uint64_t flip;
      if (no_field) {
        // k >= 3: dE <= 0, always accepted; k = 0, 1, 2 draw.
        const uint64_t k0 = k.exactly(0), k1 = k.exactly(1), k2 = k.exactly(2);
        flip = bernoulli_accept(k.b2 | (k.b1 & k.b0), k0 | k1 | k2, rng, [&](int j) {
          return (k0 & p12_8_4[j][0]) | (k1 & p12_8_4[j][1]) | (k2 & p12_8_4[j][2]);
        });
      } else {
        uint64_t cls[14], accept = 0, undecided = 0;
        for (int kk = 0; kk < 7; ++kk) {
          const uint64_t m = k.exactly(kk);
          cls[kk] = m & ~s;
          cls[kk + 7] = m & s;
        }
        for (int cc = 0; cc < 14; ++cc) (certain[size_t(cc)] ? accept : undecided) |= cls[cc];
        flip = bernoulli_accept(accept, undecided, rng, [&](int j) {
          uint64_t t = 0;
          for (int cc = 0; cc < 14; ++cc) t |= cls[cc] & bits[size_t(j)][size_t(cc)];
          return t;
        });
      }
      row[c] = s ^ flip;
    }
  }
  rng_ = rng;
}

int64_t TriangularMultiSpin::wolff_update(int replica) {
  PHYSCNN_CHECK_ARG(field_ == 0.0,
                    "TriangularMultiSpin::wolff_update: Wolff updates need h = 0, got h=", field_);
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas,
                    "TriangularMultiSpin::wolff_update: replica ", replica, " not in [0, ",
                    kReplicas, ")");
  const uint64_t bit = uint64_t(1) << replica;
  uint64_t* s = spins_.data();
  const int64_t L = size_;
  return detail::grow_cluster(
      int64_t(rng_.below(uint64_t(sites()))), wolff_threshold_,
      [L](int64_t i, int64_t* nb) {
        triangular_neighbours(L, i, nb);
        return 6;
      },
      [&](int64_t i) { return (s[i] & bit) != 0; }, [&](int64_t i) { s[i] ^= bit; },
      [&] { return rng_.next(); }, stack_);
}

void TriangularMultiSpin::mixed_sweep(int wolff_clusters) {
  metropolis_sweep();
  if (field_ != 0.0) return;
  for (int r = 0; r < kReplicas; ++r)
    for (int k = 0; k < wolff_clusters; ++k) wolff_update(r);
}

void TriangularMultiSpin::measure(double* energy_per_spin, double* magnetisation_per_spin) const {
  const int64_t L = size_, N = sites();
  BitCounters up, anti;  // up spins; antiparallel bonds (down and two in the right column)
  int64_t nb[6];
  for (int64_t i = 0; i < N; ++i) {
    triangular_neighbours(L, i, nb);
    const uint64_t s = spins_[size_t(i)];
    up.add(s);
    for (int k : {1, 4, 5}) anti.add(s ^ spins_[size_t(nb[k])]);
  }
  for (int rep = 0; rep < kReplicas; ++rep) {
    const double m = double(2 * up.count(rep) - N);
    const double bond_sum = double(3 * N - 2 * anti.count(rep));
    energy_per_spin[rep] = (-bond_sum - field_ * m) / double(N);
    magnetisation_per_spin[rep] = m / double(N);
  }
}

}  // namespace physcnn::physics::ising

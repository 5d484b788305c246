// Multi-spin coded checkerboard Metropolis (Jacobs & Rebbi 1981; Bhanot, Duke & Salvador 1986)
// with independent random bits per replica, and Wolff updates on the packed words.
#include "physics/ising/multispin.hpp"

#include <cmath>

#include "core/error.hpp"
#include "physics/ising/multispin_impl.hpp"
#include "physics/ising/wolff_impl.hpp"

namespace physcnn::physics::ising {

Xoshiro256::Xoshiro256(Rng& seeder) {
  for (auto& w : s_) w = seeder.next_u64();
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0)
    s_[0] = 0x9E3779B97F4A7C15ull;  // all-zero is a fixed point
}

MultiSpinLattice::MultiSpinLattice(int64_t size, Rng rng) : size_(size), rng_(rng) {
  check_lattice_size("MultiSpinLattice", size);
  spins_.assign(size_t(size * size), ~uint64_t(0));
  set_parameters(1.0, 0.0);
}

void MultiSpinLattice::set_parameters(double temperature, double field) {
  check_temperature("MultiSpinLattice::set_parameters", temperature);
  PHYSCNN_CHECK_ARG(std::isfinite(field),
                    "MultiSpinLattice::set_parameters: field must be finite, got h=", field);
  temperature_ = temperature;
  field_ = field;
  for (int c = 0; c < 10; ++c) {
    const int k = c % 5, s = c >= 5 ? 1 : -1;
    // s * sum(neighbours) = 4 - 2k, so flipping costs dE = 2 (4 - 2k) + 2 h s.
    const double dE = 2.0 * (4 - 2 * k) + 2.0 * field * s;
    const double p = dE <= 0.0 ? 1.0 : std::exp(-dE / temperature);
    set_acceptance(size_t(c), p, certain_, threshold_bits_);
  }
  wolff_threshold_ = detail::wolff_threshold(1.0 - std::exp(-2.0 / temperature));
}

void MultiSpinLattice::fill_random() {
  for (auto& w : spins_) w = rng_.next();
}

void MultiSpinLattice::fill_ordered(uint64_t up_mask) {
  for (auto& w : spins_) w = up_mask;
}

void MultiSpinLattice::set_replica(int replica, const Lattice& lat) {
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas && lat.size == size_,
                    "MultiSpinLattice::set_replica: replica ", replica, " of ", kReplicas,
                    ", lattice L=", lat.size, " vs engine L=", size_);
  set_replica_bits(spins_, replica, lat.spins.data());
}

void MultiSpinLattice::copy_replica(int replica, int8_t* out) const {
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas, "MultiSpinLattice::copy_replica: replica ",
                    replica, " not in [0, ", kReplicas, ")");
  copy_replica_bits(spins_, replica, out);
}

Lattice MultiSpinLattice::replica(int replica) const {
  Lattice lat{size_, std::vector<int8_t>(spins_.size())};
  copy_replica(replica, lat.spins.data());
  return lat;
}

namespace {

// Per-site acceptance tables, copied to the stack for a sweep: the spin words are uint64 too,
// so members reached through `this` would have to be reloaded after every store.
struct Thresholds {
  std::array<bool, 10> certain;
  std::array<std::array<uint64_t, 10>, 32> bits;
};

// k = number of antiparallel neighbours per bit, summed bit-sliced into (b2 b1 b0).
struct NeighbourCount {
  uint64_t b0, b1, b2;
  NeighbourCount(uint64_t s, uint64_t n0, uint64_t n1, uint64_t n2, uint64_t n3) {
    const uint64_t a0 = s ^ n0, a1 = s ^ n1, a2 = s ^ n2, a3 = s ^ n3;
    const uint64_t s01 = a0 ^ a1, c01 = a0 & a1, s23 = a2 ^ a3, c23 = a2 & a3;
    const uint64_t carry = s01 & s23;
    b0 = s01 ^ s23;
    b1 = c01 ^ c23 ^ carry;
    b2 = c01 & c23;  // k = 4 only when both pairs carry
  }
};

// h = 0: k >= 2 means dE <= 0 (always accepted); only k = 0 (dE = 8) and k = 1 (dE = 4) draw.
inline uint64_t flip_mask_no_field(const NeighbourCount& n, Xoshiro256& rng,
                                   const uint64_t (*p8_p4)[2]) {
  const uint64_t k0 = ~(n.b0 | n.b1 | n.b2), k1 = n.b0 & ~n.b1;
  return bernoulli_accept(n.b1 | n.b2, k0 | k1, rng,
                          [&](int j) { return (k0 & p8_p4[j][0]) | (k1 & p8_p4[j][1]); });
}

// h != 0: ten classes c = k + 5 s, the up-spin (s = 1) and down-spin costs differ by 4h.
inline uint64_t flip_mask_field(uint64_t s, const NeighbourCount& n, Xoshiro256& rng,
                                const Thresholds& th) {
  const uint64_t k_mask[5] = {~(n.b0 | n.b1 | n.b2), n.b0 & ~n.b1, ~n.b0 & n.b1, n.b0 & n.b1, n.b2};
  uint64_t cls[10], accept = 0, undecided = 0;
  for (int k = 0; k < 5; ++k) {
    cls[k] = k_mask[k] & ~s;
    cls[k + 5] = k_mask[k] & s;
  }
  for (int c = 0; c < 10; ++c) (th.certain[size_t(c)] ? accept : undecided) |= cls[c];
  return bernoulli_accept(accept, undecided, rng, [&](int j) {
    uint64_t t = 0;
    for (int c = 0; c < 10; ++c) t |= cls[c] & th.bits[size_t(j)][size_t(c)];
    return t;
  });
}

}  // namespace

// Updates the sites with (row + col) % 2 == parity; they share no bond, so in-place is exact.
template <bool kField>
void MultiSpinLattice::sweep_sublattice(int parity) {
  const int64_t L = size_;
  uint64_t* s = spins_.data();
  Xoshiro256 rng = rng_;
  const Thresholds th{certain_, threshold_bits_};
  uint64_t p8_p4[32][2];  // the k = 0 and k = 1 thresholds (classes 5 and 6) for h = 0
  for (int j = 0; j < 32; ++j) {
    p8_p4[j][0] = threshold_bits_[size_t(j)][5];
    p8_p4[j][1] = threshold_bits_[size_t(j)][6];
  }
  for (int64_t r = 0; r < L; ++r) {
    uint64_t* row = s + r * L;
    const uint64_t* up = s + ((r + L - 1) % L) * L;
    const uint64_t* down = s + ((r + 1) % L) * L;
    for (int64_t c = (r + parity) & 1; c < L; c += 2) {
      const int64_t cl = c == 0 ? L - 1 : c - 1, cr = c == L - 1 ? 0 : c + 1;
      const NeighbourCount n(row[c], up[c], down[c], row[cl], row[cr]);
      if constexpr (kField) {
        row[c] ^= flip_mask_field(row[c], n, rng, th);
      } else {
        row[c] ^= flip_mask_no_field(n, rng, p8_p4);
      }
    }
  }
  rng_ = rng;
}

void MultiSpinLattice::metropolis_sweep() {
  if (field_ == 0.0) {
    sweep_sublattice<false>(0);
    sweep_sublattice<false>(1);
  } else {
    sweep_sublattice<true>(0);
    sweep_sublattice<true>(1);
  }
}

int64_t MultiSpinLattice::wolff_update(int replica) {
  PHYSCNN_CHECK_ARG(field_ == 0.0,
                    "MultiSpinLattice::wolff_update: Wolff updates need h = 0, got h=", field_);
  PHYSCNN_CHECK_ARG(replica >= 0 && replica < kReplicas, "MultiSpinLattice::wolff_update: replica ",
                    replica, " not in [0, ", kReplicas, ")");
  const uint64_t bit = uint64_t(1) << replica;
  uint64_t* s = spins_.data();
  return detail::grow_wolff_cluster(
      size_, int64_t(rng_.below(uint64_t(sites()))), wolff_threshold_,
      [&](int64_t i) { return (s[i] & bit) != 0; }, [&](int64_t i) { s[i] ^= bit; },
      [&] { return rng_.next(); }, stack_);
}

void MultiSpinLattice::mixed_sweep(int wolff_clusters) {
  metropolis_sweep();
  if (field_ != 0.0) return;
  for (int r = 0; r < kReplicas; ++r) {
    for (int k = 0; k < wolff_clusters; ++k) wolff_update(r);
  }
}

void MultiSpinLattice::measure(double* energy_per_spin, double* magnetisation_per_spin) const {
  const int64_t L = size_, N = sites();
  BitCounters up, anti;  // up spins; antiparallel bonds (right and down of every site)
  for (int64_t r = 0; r < L; ++r) {
    const uint64_t* row = spins_.data() + r * L;
    const uint64_t* down = spins_.data() + ((r + 1) % L) * L;
    for (int64_t c = 0; c < L; ++c) {
      up.add(row[c]);
      anti.add(row[c] ^ down[c]);
      anti.add(row[c] ^ row[c + 1 == L ? 0 : c + 1]);
    }
  }
  for (int rep = 0; rep < kReplicas; ++rep) {
    const double m = double(2 * up.count(rep) - N);
    const double bond_sum = double(2 * N - 2 * anti.count(rep));  // sum over bonds of s_i s_j
    energy_per_spin[rep] = (-bond_sum - field_ * m) / double(N);
    magnetisation_per_spin[rep] = m / double(N);
  }
}

}  // namespace physcnn::physics::ising

// Philox-4x32-10 and the distributions built on it.
#include "core/rng.hpp"

#include <cmath>
#include <numbers>

namespace physcnn {

namespace {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * b;
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}
}  // namespace

std::array<uint32_t, 4> Rng::philox(uint64_t key, uint64_t stream, uint64_t counter) {
  std::array<uint32_t, 4> c = {uint32_t(counter), uint32_t(counter >> 32), uint32_t(stream),
                               uint32_t(stream >> 32)};
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kM0, c[0], hi0, lo0);
    mulhilo(kM1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
    k0 += kW0;
    k1 += kW1;
  }
  return c;
}

uint32_t Rng::next_u32() {
  if (have_ == 0) {
    buf_ = philox(state_.seed, state_.stream, state_.counter++);
    have_ = 4;
  }
  return buf_[4 - have_--];
}

uint64_t Rng::next_u64() {
  const uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double Rng::uniform() {
  return double(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

double Rng::normal() {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const double u1 = 1.0 - uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t Rng::below(uint64_t n) {
  if (n <= 1) return 0;
  // Lemire's rejection keeps the result unbiased.
  const uint64_t limit = (~uint64_t(0) - n + 1) % n;
  for (;;) {
    const uint64_t r = next_u64();
    if (r >= limit) return r % n;
  }
}

Rng Rng::fork(uint64_t id) const {
  // Mix the id into the stream through one Philox block so that forks of forks stay distinct.
  const auto b = philox(state_.seed ^ 0x5851F42D4C957F2Dull, state_.stream, id);
  return Rng(state_.seed, (uint64_t(b[0]) << 32 | b[1]) ^ id);
}

}  // namespace physcnn

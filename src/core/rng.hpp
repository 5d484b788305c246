// Counter-based random numbers (Philox-4x32-10, Salmon et al., SC'11). A value depends only on
// (seed, stream, counter), so results are reproducible per seed whatever the thread count or rank.
#pragma once

#include <array>
#include <cstdint>

namespace physcnn {

class Rng {
 public:
  struct State {
    uint64_t seed = 0;
    uint64_t stream = 0;
    uint64_t counter = 0;
    bool operator==(const State&) const = default;
  };

  explicit Rng(uint64_t seed = 0, uint64_t stream = 0) : state_{seed, stream, 0} {}
  explicit Rng(State s) : state_(s) {}

  // The raw generator: 128 random bits for a (key, counter) pair.
  static std::array<uint32_t, 4> philox(uint64_t key, uint64_t stream, uint64_t counter);

  uint32_t next_u32();
  uint64_t next_u64();
  double uniform();  // in [0, 1)
  double uniform(double lo, double hi);
  double normal();             // standard normal, Box-Muller
  uint64_t below(uint64_t n);  // uniform integer in [0, n), unbiased

  // An independent generator for sub-task `id` (a temperature, a chain, a worker).
  Rng fork(uint64_t id) const;

  State state() const { return state_; }
  void set_state(State s) {
    state_ = s;
    have_ = 0;
  }

 private:
  State state_;
  std::array<uint32_t, 4> buf_{};
  int have_ = 0;  // unused 32-bit words left in buf_
};

}  // namespace physcnn

// Global backend selection (fast by default) and the switches of individual fast paths.
#include "kernels/backend.hpp"

#include <atomic>

#include "core/switches.hpp"

namespace physcnn::kernels {

namespace {
std::atomic<Backend> g_backend{Backend::Fast};

// The switches named in PHYSCNN_FAST_DISABLE off, read on first use (so that an unknown name
// is an error the caller reports, not a crash before main).
FastPaths& paths() {
  static FastPaths p{.conv_gemm = !switch_disabled("conv_gemm"),
                     .conv_direct = !switch_disabled("conv_direct"),
                     .winograd = !switch_disabled("winograd"),
                     .avx2 = !switch_disabled("avx2"),
                     .avx512 = !switch_disabled("avx512")};
  return p;
}
}  // namespace

Backend backend() {
  return g_backend.load();
}
void set_backend(Backend b) {
  g_backend = b;
}

FastPaths fast_paths() {
  return paths();
}
void set_fast_paths(const FastPaths& p) {
  paths() = p;
}

bool cpu_has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

}  // namespace physcnn::kernels

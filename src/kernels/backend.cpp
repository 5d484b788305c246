// Global backend selection (fast by default) and the switches of individual fast paths.
#include "kernels/backend.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

namespace physcnn::kernels {

namespace {
std::atomic<Backend> g_backend{Backend::Fast};

// PHYSCNN_FAST_DISABLE="conv_gemm,fusion,conv_direct,microbatch,chunk_threads,winograd,avx2" turns
// paths off at start-up: a diagnostic for before/after measurements in one binary
// (bench/NOTES.md), never needed for correct results.
FastPaths initial_paths() {
  FastPaths p;
  const char* env = std::getenv("PHYSCNN_FAST_DISABLE");
  const std::string s = env ? env : "";
  if (s.find("conv_gemm") != std::string::npos) p.conv_gemm = false;
  if (s.find("fusion") != std::string::npos) p.fusion = false;
  if (s.find("conv_direct") != std::string::npos) p.conv_direct = false;
  if (s.find("microbatch") != std::string::npos) p.microbatch = false;
  if (s.find("chunk_threads") != std::string::npos) p.chunk_threads = false;
  if (s.find("winograd") != std::string::npos) p.winograd = false;
  if (s.find("avx2") != std::string::npos) p.avx2 = false;
  return p;
}
FastPaths g_paths = initial_paths();
}  // namespace

Backend backend() {
  return g_backend.load();
}
void set_backend(Backend b) {
  g_backend = b;
}

FastPaths fast_paths() {
  return g_paths;
}
void set_fast_paths(const FastPaths& p) {
  g_paths = p;
}

bool cpu_has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

}  // namespace physcnn::kernels

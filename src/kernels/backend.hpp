// The one place that chooses between reference and fast kernels. Reference kernels (plain
// loops, float and double) are the oracle; fast kernels are float32 only. Every dispatcher in
// kernels/ asks use_fast<T>().
#pragma once

#include <type_traits>

namespace physcnn::kernels {

enum class Backend { Reference, Fast };

Backend backend();
void set_backend(Backend b);

template <class T>
bool use_fast() {
  return std::is_same_v<T, float> && backend() == Backend::Fast;
}

// Switches of individual fast kernels, on by default except the experiment; tests and
// benchmarks turn one off to compare (PHYSCNN_FAST_DISABLE="conv_gemm,winograd" does so at
// start-up, core/switches.hpp). Which convolution runs where: conv_dispatch.cpp.
//   conv_gemm:   im2col + sgemm convolution for few-channel layers (conv_gemm.cpp)
//   conv_direct: direct kernels for few-channel convolutions (conv_direct*.cpp)
//   winograd:    Winograd: oneDNN's where it has them, F(2x2,3x3) in the direct path
//   avx2:        AVX2 builds of max pooling and batch norm and the conv list's AVX2 and AVX-512
//                kernels; off, every machine runs the portable paths (with oneDNN's own
//                DNNL_MAX_CPU_ISA=SSE41 too)
//   avx512:      the conv list's AVX-512 kernels; off, an AVX-512 CPU runs what an AVX2 CPU
//                runs (with DNNL_MAX_CPU_ISA=AVX2: how the AVX2 paths are tested on AVX-512)
// nn's fusion switch is nn::set_fusion_enabled, train's are train::StepSwitches.
struct FastPaths {
  bool conv_gemm = true;
  bool conv_direct = true;
  bool winograd = true;
  bool avx2 = true;
  bool avx512 = true;
  // Experiment, off: oneDNN convolutions on NCHW activations instead of reordering to and
  // from blocked layouts; 1.3-5x slower on every workload layer (bench/conv_gflops rows).
  bool conv_plain = false;
};
FastPaths fast_paths();
void set_fast_paths(const FastPaths& p);  // not thread-safe: set before running models

// Whether this CPU has AVX2 and FMA (the kernels compiled for them run only if so).
bool cpu_has_avx2_fma();

// Switches the backend for a scope (tests compare the two).
class BackendGuard {
 public:
  explicit BackendGuard(Backend b) : previous_(backend()) { set_backend(b); }
  ~BackendGuard() { set_backend(previous_); }
  BackendGuard(const BackendGuard&) = delete;
  BackendGuard& operator=(const BackendGuard&) = delete;

 private:
  Backend previous_;
};

}  // namespace physcnn::kernels

// The ordered list of float32 convolution implementations (conv_dispatch.cpp, read it top to
// bottom to know which kernel runs): the conv2d dispatchers run the first entry that supports
// the layer and pass; tests, bench/conv_gflops and `physcnn bench --explain` iterate it.
#pragma once

#include <span>
#include <string_view>

#include "kernels/conv.hpp"

namespace physcnn::kernels {

enum class ConvPass { Forward, BackwardData, BackwardWeight };
const char* conv_pass_name(ConvPass pass);  // "forward", "backward data", "backward weight"

// Instruction sets of our own kernels, ordered. conv2d_isa() is the best this CPU has, at most
// the limit set by conv2d_limit_isa (tests: behave like an older CPU; Avx512 lifts the limit).
enum class Isa { None, Avx2, Avx512 };
const char* isa_name(Isa isa);  // "none", "AVX2", "AVX-512"
Isa cpu_isa();                  // what this CPU has, ignoring the limit
Isa conv2d_isa();
void conv2d_limit_isa(Isa limit);

// The buffers of one pass, shapes as in conv.hpp; a pass reads and writes only its own:
// forward x, w, b (or null) -> y (ReLU'd if relu); backward data dy, w -> dx;
// backward weight x, dy -> dw, db (or null).
struct ConvBuffers {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* b = nullptr;
  const float* dy = nullptr;
  float* y = nullptr;
  float* dx = nullptr;
  float* dw = nullptr;
  float* db = nullptr;
  bool relu = false;
};

struct ConvImpl {
  std::string_view name;
  Isa isa = Isa::None;  // the instruction set its kernels are compiled for
  // The geometries and passes its kernels compute at all (shape limits, not speed).
  bool (*handles)(const Conv2dDesc& d, ConvPass pass) = nullptr;
  // The dispatch rule: handles() plus the CPU, the FastPaths switches and where it measurably
  // wins; `isa` is conv2d_isa().
  bool (*supports)(const Conv2dDesc& d, ConvPass pass, Isa isa) = nullptr;
  void (*kernel)(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& buf) = nullptr;

  // Runs the kernel; throws UsageError naming the entry, pass and geometry where it does not
  // handle them or the CPU lacks its instruction set.
  void run(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& buf) const;
};

// Every entry in dispatch order, "reference" last.
std::span<const ConvImpl> conv2d_implementations();
// The entry called `name`; throws UsageError listing the names when there is none.
const ConvImpl& conv2d_implementation(std::string_view name);
// The entry the dispatchers run for this layer and pass (float32, current backend and switches).
const ConvImpl& conv2d_chosen(const Conv2dDesc& d, ConvPass pass);

// While set, the float32 dispatchers call it with every geometry, pass and entry they run
// (`physcnn bench --explain`); it may be called from several threads at once. Null: none.
using ConvObserver = void (*)(const Conv2dDesc& d, ConvPass pass, const ConvImpl& impl);
void set_conv2d_observer(ConvObserver observer);
// The entry for (d, pass), reported to the observer: what the dispatchers in conv.cpp run.
const ConvImpl& conv2d_dispatch(const Conv2dDesc& d, ConvPass pass);

}  // namespace physcnn::kernels

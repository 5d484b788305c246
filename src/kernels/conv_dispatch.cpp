// Which kernel runs a float32 convolution: one ordered list, first entry whose rule supports the
// layer and pass wins, reference last (as oneDNN's cpu_convolution_list). Rules are measured
// with bench/conv_gflops at 1 thread; the figures and tables are in bench/NOTES.md.
#include "kernels/conv_dispatch.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <string>

#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv_kernels.hpp"

namespace physcnn::kernels {

namespace {

// --- conditions shared by several entries ------------------------------------------------------

// Every fast entry: the fast backend is on, and padding is non-negative (only the transposed
// conv's helper descriptor has negative padding, which only the reference takes) with a batch.
bool fast_ok(const Conv2dDesc& d) {
  return backend() == Backend::Fast && d.PH[0] >= 0 && d.PH[1] >= 0 && d.PW[0] >= 0 &&
         d.PW[1] >= 0 && d.N > 0;
}
// The direct kernels' geometry: stride 1, dilation 1, groups 1, and the kernel widths the
// weight-gradient kernels are instantiated for.
bool direct_handles(const Conv2dDesc& d, ConvPass /*pass*/) {
  return d.SH == 1 && d.SW == 1 && d.DH == 1 && d.DW == 1 && d.G == 1 && d.KW <= 5;
}
// At most 16 channels on both sides, neither a multiple of 16: oneDNN pads its 16-channel
// blocks (or falls back to AVX2 kernels) and runs at 10-50 GFLOP/s (bench/NOTES.md "convspeed").
bool few_channels(const Conv2dDesc& d) {
  return d.IC <= 16 && d.OC <= 16 && d.IC % 16 != 0 && d.OC % 16 != 0;
}
// One to four input channels: a product too short for oneDNN's blocked kernels.
bool thin_input(const Conv2dDesc& d) {
  return d.IC <= 4 && d.OC <= 32;
}
// Neither channel count a multiple of 16 (oneDNN's padded-block case).
bool unaligned(const Conv2dDesc& d) {
  return d.IC % 16 != 0 && d.OC % 16 != 0;
}

// --- direct_avx512 -----------------------------------------------------------------------------
// AVX-512 (bench/NOTES.md "direct"): with few channels the direct kernels beat oneDNN and
// im2col+sgemm in every pass (W5 10->10 @62: forward 89 -> 121, backward data 61 -> 119,
// backward weight 29-55 -> 78 GFLOP/s). With 1-4 input channels they also win forward and
// backward weight up to 32 outputs (W2 1->32, W3/W4 1->16: 60-100 against 20-58), not backward
// data with 16 or 32 outputs (one output channel per register block: 26-41 against gemm's
// 62-78); with few outputs they win it too (W1 1->6 5x5: 41-42 against gemm's 36, measured
// twice, bench/NOTES.md "dispatch"). Wider layers and 16k channels: oneDNN is 1.3-2.5x faster,
// and so is it than the AVX2 kernels run here (Winograd F(2x2,3x3) included: W5 10->10 @62
// forward 117 direct_avx512 against 89, W4 16->16 @64 within the noise of oneDNN).
bool direct_avx512_supports(const Conv2dDesc& d, ConvPass pass, Isa isa) {
  if (isa < Isa::Avx512 || !fast_ok(d) || !fast_paths().conv_direct || !direct_handles(d, pass))
    return false;
  switch (pass) {
    case ConvPass::Forward:
    case ConvPass::BackwardWeight:
      return few_channels(d) || thin_input(d);
    case ConvPass::BackwardData:
      return few_channels(d);
  }
  return false;
}

// --- winograd_avx2 -----------------------------------------------------------------------------
// Winograd F(2x2,3x3) in the direct path (forward, and backward data as a forward of the
// flipped bank), AVX2 CPUs only (bench/NOTES.md "wino2", Zen 3): with >= 8 input channels of
// the forward it computes (one channel loses: W3/W4 1->16 forward 35-39 -> 22-25) it beats the
// direct kernel on the few-channel layers (W5 10->10 @62 forward 60-62 -> 71-78, backward data
// 51-53 -> 67-71), and oneDNN on 8-64 channel layers with rows >= 24 outputs wide (W4 16->16
// @64 forward 61 -> 100, backward data 72 -> 98; 32->32 @32 84 -> 115, 89 -> 116); narrower
// rows lose (W4 32->64 @16 backward data 93 -> 74, W3 16->32 @18 forward 78 -> 63); wider
// layers are not measured and stay with oneDNN.
bool winograd_avx2_handles(const Conv2dDesc& d, ConvPass pass) {
  return direct_handles(d, pass) && d.KH == 3 && d.KW == 3 && pass != ConvPass::BackwardWeight;
}
bool wide_winograd(const Conv2dDesc& d, ConvPass pass) {
  const bool data = pass == ConvPass::BackwardData;
  const int64_t in_channels = data ? d.OC : d.IC, out_channels = data ? d.IC : d.OC;
  const int64_t out_width = data ? d.IW : d.OW;
  return in_channels <= 64 && out_channels <= 64 && out_channels >= 8 && out_width >= 24;
}
bool winograd_avx2_supports(const Conv2dDesc& d, ConvPass pass, Isa isa) {
  if (isa != Isa::Avx2 || !fast_ok(d) || !fast_paths().conv_direct || !fast_paths().winograd ||
      !winograd_avx2_handles(d, pass))
    return false;
  const int64_t in_channels = pass == ConvPass::BackwardData ? d.OC : d.IC;
  if (in_channels < 8) return false;
  if (pass == ConvPass::Forward) return few_channels(d) || wide_winograd(d, pass);
  return (few_channels(d) && d.IC >= 3) || wide_winograd(d, pass);
}

// --- direct_avx2 -------------------------------------------------------------------------------
// AVX2 (bench/NOTES.md "avx2", Zen 3, peak ~67 GFLOP/s): the AVX-512 rule (W5 10->10 @62:
// forward 41-44 -> 44-49, backward data 34-37 -> 37-42, backward weight 26-28 -> 53-55), but
// the thin-input forward only up to 16 outputs (W2 1->32: 17-27 against oneDNN's 36), and the
// weight gradient also with 16 channels and kernels up to 3 wide (W4 16->16: 61 against
// oneDNN's 51-53; W1 6->16 5x5: 13-17 against 32).
bool direct_avx2_supports(const Conv2dDesc& d, ConvPass pass, Isa isa) {
  if (isa != Isa::Avx2 || !fast_ok(d) || !fast_paths().conv_direct || !direct_handles(d, pass))
    return false;
  switch (pass) {
    case ConvPass::Forward:
      return few_channels(d) || (thin_input(d) && d.OC <= 16);
    case ConvPass::BackwardWeight:
      return few_channels(d) || thin_input(d) || (d.IC <= 16 && d.OC <= 16 && d.KW <= 3);
    case ConvPass::BackwardData:
      return few_channels(d) && d.IC >= 3;
  }
  return false;
}

// --- gemm (im2col + sgemm) ---------------------------------------------------------------------
// bench/NOTES.md "convspeed": where neither channel count is a multiple of 16, oneDNN's
// backward weights runs at 10-50 GFLOP/s and im2col+sgemm at 40-60 (W5 10->10 @62: 13-20 ->
// 5 ms); with 1-4 input channels oneDNN's backward data runs at 4-14 GFLOP/s against 35-80 here,
// and its forward at 26-47 against 43-62 (W3 at batch 128: 1.45 -> 0.87 ms).
bool gemm_handles(const Conv2dDesc& d, ConvPass /*pass*/) {
  return d.G == 1;
}
bool gemm_supports(const Conv2dDesc& d, ConvPass pass, Isa /*isa*/) {
  if (!fast_ok(d) || !fast_paths().conv_gemm || !gemm_handles(d, pass)) return false;
  switch (pass) {
    case ConvPass::Forward:
      return d.IC <= 4;
    case ConvPass::BackwardData:
      return d.IC <= 4 || unaligned(d);
    case ConvPass::BackwardWeight:
      return d.IC >= 8 && unaligned(d);
  }
  return false;
}

// --- onednn_winograd ---------------------------------------------------------------------------
// oneDNN's Winograd F(4x4,3x3) (bench/NOTES.md "wino"): it wins with >= 32 input channels at
// batch >= 8 (W4 64->32 @32: 1.7-2.1 -> 1.1-1.3 ms per pass), and loses with 16 input channels
// (16->16 @64 forward 1.2 -> 1.65 ms) and at batch 1 (64->64 @16 forward 0.10 -> 0.15 ms).
// Forward and backward data also want >= 32 output channels (32->16 @64 only gains in backward
// weights). With 16 input channels the weight gradient still wins over a long reduction,
// N*OH*OW >= 32768 (bench/NOTES.md "dispatch", AVX-512, GFLOP/s direct algorithm -> Winograd:
// W3 16->32 @18 at batch 128 136-142 -> 166-179, W4 16->16 @64 at batch 8 115-132 -> 129-147;
// at 8192 it loses: W3 at batch 32 140 -> 107, W4 16->32 @32 143 -> 102). Not with the NCHW
// experiment (its Winograd wants blocked layouts).
bool onednn_handles(const Conv2dDesc& d, ConvPass /*pass*/) {
  return d.PH[0] >= 0 && d.PH[1] >= 0 && d.PW[0] >= 0 && d.PW[1] >= 0 && d.N > 0;
}
bool onednn_winograd_supports(const Conv2dDesc& d, ConvPass pass, Isa /*isa*/) {
  if (!fast_ok(d) || !fast_paths().winograd || fast_paths().conv_plain) return false;
  const bool geometry = d.G == 1 && d.KH == 3 && d.KW == 3 && d.SH == 1 && d.SW == 1 && d.DH == 1 &&
                        d.DW == 1 && d.IC % 16 == 0 && d.OC % 16 == 0;
  if (!geometry || d.N < 8) return false;
  if (d.IC >= 32) return pass == ConvPass::BackwardWeight || d.OC >= 32;
  return pass == ConvPass::BackwardWeight && d.N * d.OH * d.OW >= 32768;
}

// --- onednn: everything else the fast backend takes --------------------------------------------
bool onednn_supports(const Conv2dDesc& d, ConvPass /*pass*/, Isa /*isa*/) {
  return fast_ok(d);
}

// --- reference: the oracle, always ---------------------------------------------------------------
bool always(const Conv2dDesc& /*d*/, ConvPass /*pass*/) {
  return true;
}
bool reference_supports(const Conv2dDesc& /*d*/, ConvPass /*pass*/, Isa /*isa*/) {
  return true;
}

// --- the kernels behind the entries --------------------------------------------------------------

template <DirectKernel K>
void run_direct(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& a) {
  switch (pass) {
    case ConvPass::Forward:
      return conv2d_forward_direct(K, d, a.x, a.w, a.b, a.y, a.relu);
    case ConvPass::BackwardData:
      return conv2d_backward_data_direct(K, d, a.dy, a.w, a.dx);
    case ConvPass::BackwardWeight:
      return conv2d_backward_weight_direct(K, d, a.x, a.dy, a.dw, a.db);
  }
}
void run_gemm(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& a) {
  switch (pass) {
    case ConvPass::Forward:
      return conv2d_forward_gemm(d, a.x, a.w, a.b, a.y, a.relu);
    case ConvPass::BackwardData:
      return conv2d_backward_data_gemm(d, a.dy, a.w, a.dx);
    case ConvPass::BackwardWeight:
      return conv2d_backward_weight_gemm(d, a.x, a.dy, a.dw, a.db);
  }
}
template <bool Winograd>
void run_onednn(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& a) {
  switch (pass) {
    case ConvPass::Forward:
      return conv2d_forward_onednn(d, a.x, a.w, a.b, a.y, a.relu, Winograd);
    case ConvPass::BackwardData:
      return conv2d_backward_data_onednn(d, a.dy, a.w, a.dx, Winograd);
    case ConvPass::BackwardWeight:
      return conv2d_backward_weight_onednn(d, a.x, a.dy, a.dw, a.db, Winograd);
  }
}
void run_reference(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& a) {
  switch (pass) {
    case ConvPass::Forward:
      if (a.relu) return conv2d_relu_forward_reference<float>(d, a.x, a.w, a.b, a.y);
      return conv2d_forward_reference<float>(d, a.x, a.w, a.b, a.y);
    case ConvPass::BackwardData:
      return conv2d_backward_data_reference<float>(d, a.dy, a.w, a.dx);
    case ConvPass::BackwardWeight:
      return conv2d_backward_weight_reference<float>(d, a.x, a.dy, a.dw, a.db);
  }
}

// --- the list, in dispatch order -----------------------------------------------------------------
constexpr std::array kImplementations = {
    ConvImpl{"direct_avx512", Isa::Avx512, direct_handles, direct_avx512_supports,
             run_direct<DirectKernel::Avx512>},
    ConvImpl{"winograd_avx2", Isa::Avx2, winograd_avx2_handles, winograd_avx2_supports,
             run_direct<DirectKernel::WinogradAvx2>},
    ConvImpl{"direct_avx2", Isa::Avx2, direct_handles, direct_avx2_supports,
             run_direct<DirectKernel::Avx2>},
    ConvImpl{"gemm", Isa::None, gemm_handles, gemm_supports, run_gemm},
    ConvImpl{"onednn_winograd", Isa::None, onednn_handles, onednn_winograd_supports,
             run_onednn<true>},
    ConvImpl{"onednn", Isa::None, onednn_handles, onednn_supports, run_onednn<false>},
    ConvImpl{"reference", Isa::None, always, reference_supports, run_reference},
};

std::atomic<Isa> g_isa_limit{Isa::Avx512};
std::atomic<ConvObserver> g_observer{nullptr};

}  // namespace

const char* conv_pass_name(ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward:
      return "forward";
    case ConvPass::BackwardData:
      return "backward data";
    case ConvPass::BackwardWeight:
      return "backward weight";
  }
  return "?";
}

const char* isa_name(Isa isa) {
  return isa == Isa::Avx512 ? "AVX-512" : isa == Isa::Avx2 ? "AVX2" : "none";
}

Isa cpu_isa() {
  static const Isa isa = __builtin_cpu_supports("avx512f") ? Isa::Avx512
                         : cpu_has_avx2_fma()              ? Isa::Avx2
                                                           : Isa::None;
  return isa;
}
Isa conv2d_isa() {
  // The switches cap the instruction set as an older CPU would: avx512 off is an AVX2 CPU, avx2
  // off a CPU with neither (the portable paths).
  const FastPaths p = fast_paths();
  const Isa switched = !p.avx2 ? Isa::None : p.avx512 ? Isa::Avx512 : Isa::Avx2;
  return std::min({cpu_isa(), g_isa_limit.load(), switched});
}
void conv2d_limit_isa(Isa limit) {
  g_isa_limit = limit;
}

void ConvImpl::run(const Conv2dDesc& d, ConvPass pass, const ConvBuffers& buf) const {
  PHYSCNN_CHECK_ARG(cpu_isa() >= isa, "conv2d ", conv_pass_name(pass), " (", name, "): needs ",
                    isa_name(isa), ", this CPU has ", isa_name(cpu_isa()), " (", d.str(), ")");
  PHYSCNN_CHECK_ARG(handles(d, pass), "conv2d ", conv_pass_name(pass), " (", name,
                    "): does not implement this geometry (", d.str(), ")");
  kernel(d, pass, buf);
}

std::span<const ConvImpl> conv2d_implementations() {
  return kImplementations;
}

const ConvImpl& conv2d_implementation(std::string_view name) {
  std::string known;
  for (const ConvImpl& impl : kImplementations) {
    if (impl.name == name) return impl;
    known += (known.empty() ? "" : ", ") + std::string(impl.name);
  }
  throw UsageError(
      detail::cat("conv2d: no implementation called '", name, "' (known: ", known, ")"));
}

const ConvImpl& conv2d_chosen(const Conv2dDesc& d, ConvPass pass) {
  const Isa isa = conv2d_isa();
  for (const ConvImpl& impl : kImplementations)
    if (impl.supports(d, pass, isa)) return impl;
  return kImplementations.back();  // unreachable: the reference supports everything
}

void set_conv2d_observer(ConvObserver observer) {
  g_observer = observer;
}

const ConvImpl& conv2d_dispatch(const Conv2dDesc& d, ConvPass pass) {
  const ConvImpl& impl = conv2d_chosen(d, pass);
  if (const ConvObserver observe = g_observer.load()) observe(d, pass, impl);
  return impl;
}

}  // namespace physcnn::kernels

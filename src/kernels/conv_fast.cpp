// Fast float convolution: oneDNN convolution primitives (JIT for the CPU found at run time),
// created once per geometry and cached together with their reorder primitives. The blocked-
// layout copies live only during a call, in tensor storage (the caching allocator), so cached
// plans hold no activation-sized buffers (they were most of W3's heap: bench/NOTES.md).
// 3x3 stride-1 layers with 16k channels may run oneDNN's Winograd F(4x4,3x3) instead of the
// direct algorithm where conv2d_winograd_preferred says so and oneDNN has a kernel for it.
#include <algorithm>
#include <array>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::kernels {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}
// One stream per thread: threads that run convolutions at once (train/step.cpp) never share one.
dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

// Every primitive and reorder runs with a scratchpad the caller provides (scratchpad_mode::user),
// never the library's: Debian's oneDNN is built without DNNL_ENABLE_CONCURRENT_EXEC, so its own
// scratchpad is shared by all primitives and a primitive may only run on the thread that created
// it. Chunk threads (train/step.cpp) run plans created elsewhere, two at once; with the shared
// scratchpad oneDNN's AVX-512 Winograd backward-weights crashed there (2-thread U-Net training).
dnnl::primitive_attr user_scratchpad(dnnl::primitive_attr attr = {}) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// One argument of a primitive: `user` wraps the caller's plain NCHW buffer (its handle is set
// per call); when the primitive prefers another layout, `internal` describes that copy (its
// buffer is attached per call) and `convert` reorders user -> internal (inputs) or
// internal -> user (outputs), with `convert_scratch` bytes of scratchpad.
struct Arg {
  int id = 0;
  bool output = false;
  memory user;
  memory internal;
  dnnl::reorder convert;
  memory::desc convert_scratch;
};

struct Plan {
  dnnl::primitive prim;
  memory::desc scratch;  // the primitive's scratchpad (size 0 when it needs none)
  std::vector<Arg> args;
};

// ForwardRelu is the forward with oneDNN's ReLU post-op: one pass over the output, not two.
enum class Kind { Forward, ForwardRelu, BackwardData, BackwardWeight };

Arg make_arg(int id, bool output, const memory::desc& user_md, const memory::desc& prim_md) {
  Arg a;
  a.id = id;
  a.output = output;
  a.user = memory(user_md, cpu_engine(), DNNL_MEMORY_NONE);
  if (prim_md != user_md) {
    a.internal = memory(prim_md, cpu_engine(), DNNL_MEMORY_NONE);
    const dnnl::reorder::primitive_desc pd =
        output ? dnnl::reorder::primitive_desc(a.internal, a.user, user_scratchpad())
               : dnnl::reorder::primitive_desc(a.user, a.internal, user_scratchpad());
    a.convert = dnnl::reorder(pd);
    a.convert_scratch = pd.scratchpad_desc();
  }
  return a;
}

struct Geometry {
  memory::dims src, wei, bias, dst, strides, dilates, pad_l, pad_r;
  Tag wei_tag;
  bool plain = false;  // activations in the caller's NCHW (no reorders), see conv2d_plain_layout
};

Geometry geometry(const Conv2dDesc& d) {
  Geometry g;
  g.src = {d.N, d.IC, d.IH, d.IW};
  g.dst = {d.N, d.OC, d.OH, d.OW};
  g.bias = {d.OC};
  // Grouped weights are (G, OC/G, IC/G, KH, KW) in oneDNN: the same bytes as (OC, IC/G, KH, KW).
  if (d.G == 1) {
    g.wei = {d.OC, d.IC, d.KH, d.KW};
    g.wei_tag = Tag::oihw;
  } else {
    g.wei = {d.G, d.OC / d.G, d.IC / d.G, d.KH, d.KW};
    g.wei_tag = Tag::goihw;
  }
  g.strides = {d.SH, d.SW};
  g.dilates = {d.DH - 1, d.DW - 1};  // oneDNN counts the gaps: 0 is a dense kernel
  g.pad_l = {d.PH[0], d.PW[0]};
  g.pad_r = {d.PH[1], d.PW[1]};
  g.plain = conv2d_plain_layout(d);
  return g;
}

memory::desc any_md(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, Tag::any);
}
memory::desc plain_md(const memory::dims& dims, Tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}
// An activation (src or dst): oneDNN's choice of layout, or NCHW when the plan says plain.
memory::desc act_md(const Geometry& g, const memory::dims& dims) {
  return g.plain ? plain_md(dims, Tag::nchw) : any_md(dims);
}

dnnl::convolution_forward::primitive_desc forward_pd(const Geometry& g, dnnl::algorithm alg,
                                                     bool with_bias, bool relu = false) {
  using F = dnnl::convolution_forward;
  const auto pk = dnnl::prop_kind::forward_training;
  dnnl::primitive_attr attr = user_scratchpad();
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  if (with_bias) {
    F::desc desc(pk, alg, act_md(g, g.src), any_md(g.wei), plain_md(g.bias, Tag::x),
                 act_md(g, g.dst), g.strides, g.dilates, g.pad_l, g.pad_r);
    return F::primitive_desc(desc, attr, cpu_engine());
  }
  F::desc desc(pk, alg, act_md(g, g.src), any_md(g.wei), act_md(g, g.dst), g.strides, g.dilates,
               g.pad_l, g.pad_r);
  return F::primitive_desc(desc, attr, cpu_engine());
}

Plan make_plan(const Conv2dDesc& d, Kind kind, bool with_bias, dnnl::algorithm alg) {
  const Geometry g = geometry(d);
  const auto src = plain_md(g.src, Tag::nchw), dst = plain_md(g.dst, Tag::nchw);
  const auto wei = plain_md(g.wei, g.wei_tag), bias = plain_md(g.bias, Tag::x);
  Plan p;
  if (kind == Kind::Forward || kind == Kind::ForwardRelu) {
    auto pd = forward_pd(g, alg, with_bias, kind == Kind::ForwardRelu);
    p.prim = dnnl::convolution_forward(pd);
    p.scratch = pd.scratchpad_desc();
    p.args.push_back(make_arg(DNNL_ARG_SRC, false, src, pd.src_desc()));
    p.args.push_back(make_arg(DNNL_ARG_WEIGHTS, false, wei, pd.weights_desc()));
    if (with_bias) p.args.push_back(make_arg(DNNL_ARG_BIAS, false, bias, pd.bias_desc()));
    p.args.push_back(make_arg(DNNL_ARG_DST, true, dst, pd.dst_desc()));
  } else if (kind == Kind::BackwardData) {
    using B = dnnl::convolution_backward_data;
    B::desc desc(alg, act_md(g, g.src), any_md(g.wei), act_md(g, g.dst), g.strides, g.dilates,
                 g.pad_l, g.pad_r);
    B::primitive_desc pd(desc, user_scratchpad(), cpu_engine(), forward_pd(g, alg, false));
    p.prim = B(pd);
    p.scratch = pd.scratchpad_desc();
    p.args.push_back(make_arg(DNNL_ARG_DIFF_DST, false, dst, pd.diff_dst_desc()));
    p.args.push_back(make_arg(DNNL_ARG_WEIGHTS, false, wei, pd.weights_desc()));
    p.args.push_back(make_arg(DNNL_ARG_DIFF_SRC, true, src, pd.diff_src_desc()));
  } else {
    using B = dnnl::convolution_backward_weights;
    auto make = [&]() {
      if (with_bias)
        return B::desc(alg, act_md(g, g.src), any_md(g.wei), plain_md(g.bias, Tag::x),
                       act_md(g, g.dst), g.strides, g.dilates, g.pad_l, g.pad_r);
      return B::desc(alg, act_md(g, g.src), any_md(g.wei), act_md(g, g.dst), g.strides, g.dilates,
                     g.pad_l, g.pad_r);
    };
    B::primitive_desc pd(make(), user_scratchpad(), cpu_engine(), forward_pd(g, alg, with_bias));
    p.prim = B(pd);
    p.scratch = pd.scratchpad_desc();
    p.args.push_back(make_arg(DNNL_ARG_SRC, false, src, pd.src_desc()));
    p.args.push_back(make_arg(DNNL_ARG_DIFF_DST, false, dst, pd.diff_dst_desc()));
    p.args.push_back(make_arg(DNNL_ARG_DIFF_WEIGHTS, true, wei, pd.diff_weights_desc()));
    if (with_bias) p.args.push_back(make_arg(DNNL_ARG_DIFF_BIAS, true, bias, pd.diff_bias_desc()));
  }
  return p;
}

// Winograd where asked for and oneDNN implements it for this pass; otherwise the direct
// algorithm (primitive descriptor creation reports `unimplemented` for what Winograd lacks).
Plan make_plan_preferring(const Conv2dDesc& d, Kind kind, bool with_bias, bool winograd) {
  if (winograd) {
    try {
      return make_plan(d, kind, with_bias, dnnl::algorithm::convolution_winograd);
    } catch (const dnnl::error& e) {
      if (e.status != dnnl_unimplemented) throw;
    }
  }
  return make_plan(d, kind, with_bias, dnnl::algorithm::convolution_direct);
}

// The cache: geometry + kind + bias + algorithm asked for -> a pool of plans. A plan's memory
// objects carry the caller's pointers during a run, so one thread at a time may run it: a caller
// takes a free plan of the pool (or adds one), and the cache's mutex guards only lookup and
// creation, so threads that run the same layer at once (the chunks of a training step on
// separate threads) each run their own copy; a single caller keeps reusing the first.
using Key = std::array<int64_t, 23>;
Key make_key(const Conv2dDesc& d, Kind kind, bool with_bias, bool winograd) {
  return {d.N, d.IC, d.IH, d.IW, d.OC, d.KH, d.KW, d.SH, d.SW, d.PH[0], d.PH[1], d.PW[0], d.PW[1],
          d.DH, d.DW, d.G, d.OH, d.OW, int64_t(kind), int64_t(with_bias),
          int64_t(conv2d_plain_layout(d)), int64_t(winograd),
          // oneDNN fixes a primitive's thread count at creation (barriers inside the backward
          // weights): threads inside run_on_threads (1) must not run one made for 2.
          num_threads()};
}
struct PooledPlan {
  Plan plan;
  std::mutex busy;  // held while a thread runs the plan
};
constexpr size_t kMaxPlans = 256;
std::mutex g_mutex;
std::map<Key, std::vector<std::shared_ptr<PooledPlan>>> g_plans;

// A plan of the pool for (d, kind) that no other thread is running, locked for the caller.
std::pair<std::shared_ptr<PooledPlan>, std::unique_lock<std::mutex>> acquire(const Conv2dDesc& d,
                                                                             Kind kind,
                                                                             bool with_bias,
                                                                             bool winograd) {
  std::lock_guard<std::mutex> lock(g_mutex);
  // Bounded: a run with many geometries (varying batch sizes) must not grow without limit;
  // dropping everything is simple and re-creating a primitive costs well under a millisecond.
  // Plans in use stay alive through their callers' shared_ptr.
  const Key key = make_key(d, kind, with_bias, winograd);
  if (g_plans.size() >= kMaxPlans && g_plans.find(key) == g_plans.end()) g_plans.clear();
  std::vector<std::shared_ptr<PooledPlan>>& pool = g_plans[key];
  for (const std::shared_ptr<PooledPlan>& p : pool) {
    std::unique_lock<std::mutex> busy(p->busy, std::try_to_lock);
    if (busy.owns_lock()) return {p, std::move(busy)};
  }
  auto p = std::make_shared<PooledPlan>();
  try {
    p->plan = make_plan_preferring(d, kind, with_bias, winograd);
  } catch (const dnnl::error& e) {
    if (pool.empty()) g_plans.erase(key);
    throw Error(
        detail::cat("conv2d (oneDNN): ", e.what(), " (status ", int(e.status), ") for ", d.str()));
  }
  pool.push_back(p);
  std::unique_lock<std::mutex> busy(p->busy);
  return {p, std::move(busy)};
}

// Runs a cached plan for (d, kind) on the caller's buffers, given in the plan's arg order.
void run(const Conv2dDesc& d, Kind kind, bool with_bias, const std::vector<const float*>& ptrs) {
  const ConvPass pass = kind == Kind::BackwardData     ? ConvPass::BackwardData
                        : kind == Kind::BackwardWeight ? ConvPass::BackwardWeight
                                                       : ConvPass::Forward;
  const bool winograd = conv2d_winograd_preferred(d, pass);
  auto [slot, busy] = acquire(d, kind, with_bias, winograd);
  try {
    Plan& p = slot->plan;
    dnnl::stream& s = cpu_stream();
    std::unordered_map<int, memory> args;
    // The blocked-layout copies and the scratchpads, alive until s.wait(): tensor storage from
    // the caching allocator, owned by this call, so no two executions ever share one.
    std::vector<Tensor> buffers;
    auto buffer_for = [&](const memory::desc& md) {
      const auto bytes = static_cast<int64_t>(md.get_size());
      buffers.push_back(Tensor::empty({std::max<int64_t>(1, (bytes + 3) / 4)}, DType::F32));
      return memory(md, cpu_engine(), buffers.back().data<float>());
    };
    auto reorder = [&](Arg& a, memory& from, memory& to) {
      std::unordered_map<int, memory> r{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
      if (a.convert_scratch.get_size() > 0)
        r.emplace(DNNL_ARG_SCRATCHPAD, buffer_for(a.convert_scratch));
      a.convert.execute(s, r);
    };
    for (size_t i = 0; i < p.args.size(); ++i) {
      Arg& a = p.args[i];
      a.user.set_data_handle(const_cast<float*>(ptrs[i]));
      if (a.internal) {
        const auto bytes = static_cast<int64_t>(a.internal.get_desc().get_size());
        buffers.push_back(Tensor::empty({(bytes + 3) / 4}, DType::F32));
        a.internal.set_data_handle(buffers.back().data<float>());
      }
      if (!a.internal) {
        args.emplace(a.id, a.user);
      } else {
        if (!a.output) reorder(a, a.user, a.internal);
        args.emplace(a.id, a.internal);
      }
    }
    if (p.scratch.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, buffer_for(p.scratch));
    p.prim.execute(s, args);
    for (Arg& a : p.args)
      if (a.output && a.internal) reorder(a, a.internal, a.user);
    s.wait();
  } catch (const dnnl::error& e) {
    throw Error(
        detail::cat("conv2d (oneDNN): ", e.what(), " (status ", int(e.status), ") for ", d.str()));
  }
}

}  // namespace

// The reorders to and from blocked layouts cost up to ~30 % of a pass (W3 16->32 at batch 128:
// 0.9 of 3.1 ms), yet oneDNN's NCHW implementations are 1.3-5x slower than reorder + blocked
// kernel on every workload layer (bench/conv_gflops), so the rule is "never" unless switched on.
bool conv2d_plain_layout(const Conv2dDesc& /*d*/) {
  return fast_paths().conv_plain;
}

// Winograd F(4x4,3x3) does ~1/2-1/4 of the multiplies but adds transforms of the tiles; per
// layer at 1 thread (bench/NOTES.md "wino") it wins with >= 32 input channels at batch >= 8
// (W4 64->32 @32: 1.7-2.1 -> 1.1-1.3 ms per pass), and loses with 16 input channels (16->16 @64
// forward 1.2 -> 1.65 ms) and at batch 1 (64->64 @16 forward 0.10 -> 0.15 ms). Forward and
// backward-data also want >= 32 output channels (32->16 @64 only gains in backward-weights).
bool conv2d_winograd_preferred(const Conv2dDesc& d, ConvPass pass) {
  const bool eligible = fast_paths().winograd && d.G == 1 && d.KH == 3 && d.KW == 3 && d.SH == 1 &&
                        d.SW == 1 && d.DH == 1 && d.DW == 1 && d.IC % 16 == 0 && d.OC % 16 == 0 &&
                        !conv2d_plain_layout(d);
  if (!eligible) return false;
  if (d.N < 8 || d.IC < 32) return false;
  return pass == ConvPass::BackwardWeight || d.OC >= 32;
}

void conv2d_forward_fast(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                         float* y) {
  if (conv2d_direct_preferred(d, ConvPass::Forward))
    return conv2d_forward_direct(d, x, w, b, y, false);
  if (conv2d_gemm_preferred(d, ConvPass::Forward)) return conv2d_forward_gemm(d, x, w, b, y, false);
  if (b)
    run(d, Kind::Forward, true, {x, w, b, y});
  else
    run(d, Kind::Forward, false, {x, w, y});
}

void conv2d_relu_forward_fast(const Conv2dDesc& d, const float* x, const float* w, const float* b,
                              float* y) {
  if (conv2d_direct_preferred(d, ConvPass::Forward))
    return conv2d_forward_direct(d, x, w, b, y, true);
  if (conv2d_gemm_preferred(d, ConvPass::Forward)) return conv2d_forward_gemm(d, x, w, b, y, true);
  if (b)
    run(d, Kind::ForwardRelu, true, {x, w, b, y});
  else
    run(d, Kind::ForwardRelu, false, {x, w, y});
}

void conv2d_backward_data_fast(const Conv2dDesc& d, const float* dy, const float* w, float* dx) {
  if (conv2d_direct_preferred(d, ConvPass::BackwardData))
    return conv2d_backward_data_direct(d, dy, w, dx);
  if (conv2d_gemm_preferred(d, ConvPass::BackwardData))
    return conv2d_backward_data_gemm(d, dy, w, dx);
  run(d, Kind::BackwardData, false, {dy, w, dx});
}

void conv2d_backward_weight_fast(const Conv2dDesc& d, const float* x, const float* dy, float* dw,
                                 float* db) {
  if (conv2d_direct_preferred(d, ConvPass::BackwardWeight))
    return conv2d_backward_weight_direct(d, x, dy, dw, db);
  if (conv2d_gemm_preferred(d, ConvPass::BackwardWeight))
    return conv2d_backward_weight_gemm(d, x, dy, dw, db);
  if (db)
    run(d, Kind::BackwardWeight, true, {x, dy, dw, db});
  else
    run(d, Kind::BackwardWeight, false, {x, dy, dw});
}

int64_t conv2d_fast_cache_size() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return static_cast<int64_t>(g_plans.size());
}

}  // namespace physcnn::kernels

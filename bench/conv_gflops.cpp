// GFLOP/s of the float32 convolution on the conv layers of W1-W5 (tests/kernels/conv/
// conv_workload_layers.hpp), pass by pass (forward, backward data, backward weight+bias): the
// dispatch, then every entry of the implementation list that implements the layer, so that a
// rule in kernels/conv_dispatch.cpp can be checked against the figures.
// Usage: conv_gflops [threads] [filter] [--impl NAME]  (filter: a substring of the row name,
// e.g. "W5"; --impl: time only that entry, "reference" included).
// tools/ref/conv_bench.py times PyTorch on the W2 and W4 rows (same thread count).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv.hpp"
#include "kernels/conv/conv_workload_layers.hpp"
#include "kernels/conv_dispatch.hpp"
#include "tensor/tensor.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

// Best and median wall time of f in seconds over at least 20 repetitions (about `budget`
// seconds). On a shared machine the best run is the kernel's speed; the median shows the load.
struct Timing {
  double best, median;
};
Timing time_it(const std::function<void()>& f, double budget = 0.5) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) f();  // warm-up: primitive creation, caches, thread pool
  std::vector<double> t;
  const auto start = clock::now();
  while (t.size() < 20 ||
         (std::chrono::duration<double>(clock::now() - start).count() < budget && t.size() < 200)) {
    const auto a = clock::now();
    f();
    t.push_back(std::chrono::duration<double>(clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

std::vector<float> random_buffer(int64_t n, uint64_t seed) {
  Rng rng(seed);
  const Tensor t = Tensor::uniform({n}, -1.0, 1.0, rng, DType::F32);
  return std::vector<float>(t.data<float>(), t.data<float>() + n);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::string filter, impl_name;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--impl" && i + 1 < argc)
      impl_name = argv[++i];
    else
      positional.push_back(a);
  }
  if (!positional.empty()) threads = std::atoi(positional[0].c_str());
  if (positional.size() > 1) filter = positional[1];
  set_num_threads(threads);
  // The entries to time: the one asked for, or every entry this CPU runs except the reference.
  std::vector<const k::ConvImpl*> impls;
  for (const k::ConvImpl& impl : k::conv2d_implementations())
    if (impl_name.empty() ? impl.name != "reference" && k::cpu_isa() >= impl.isa
                          : impl.name == impl_name)
      impls.push_back(&impl);
  if (impls.empty()) k::conv2d_implementation(impl_name);  // throws, listing the names
  std::printf(
      "%d thread(s); GFLOP/s from the best of >= 20 runs (median in parentheses); each pass\n"
      "has the forward's FLOPs (backward weight includes the bias sum). Per layer: the\n"
      "dispatch (the entry it picks per pass), then each entry of the implementation list\n"
      "(kernels/conv_dispatch.cpp) that implements the layer ('-': not this pass).\n",
      threads);
  std::printf("%-4s %-26s %8s %15s %8s %15s %8s %15s\n", "", "layer (KxK pad P)", "fwd ms",
              "fwd GF/s", "bwd-d ms", "bwd-d GF/s", "bwd-w ms", "bwd-w GF/s");
  for (const test::ConvLayer& l : test::workload_conv_layers()) {
    if (!filter.empty() && l.name.find(filter) == std::string::npos) continue;
    const k::Conv2dDesc& d = l.desc;
    const int64_t nx = d.N * d.IC * d.IH * d.IW, ny = d.N * d.OC * d.OH * d.OW;
    const int64_t nw = d.OC * d.IC * d.KH * d.KW;
    auto x = random_buffer(nx, 1), w = random_buffer(nw, 2), b = random_buffer(d.OC, 3);
    auto dy = random_buffer(ny, 4);
    std::vector<float> y(ny), dx(nx), dw(nw), db(d.OC);
    const double flops = 2.0 * double(ny) * double(d.IC * d.KH * d.KW);  // one pass
    const k::ConvBuffers buf[3] = {
        {.x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
        {.w = w.data(), .dy = dy.data(), .dx = dx.data()},
        {.x = x.data(), .dy = dy.data(), .dw = dw.data(), .db = db.data()}};
    const k::ConvPass passes[3] = {k::ConvPass::Forward, k::ConvPass::BackwardData,
                                   k::ConvPass::BackwardWeight};

    const auto cell = [&](const std::optional<Timing>& t) {
      char s[48];
      if (!t)
        std::snprintf(s, sizeof s, "%8s %6s %8s", "-", "-", "");
      else
        std::snprintf(s, sizeof s, "%8.3f %6.1f (%6.1f)", t->best * 1e3, flops / t->best * 1e-9,
                      flops / t->median * 1e-9);
      return std::string(s);
    };
    const auto row = [&](const std::string& label, const std::optional<Timing>(&t)[3],
                         const std::string& note) {
      std::printf("%-31s %s %s %s  %s\n", label.c_str(), cell(t[0]).c_str(), cell(t[1]).c_str(),
                  cell(t[2]).c_str(), note.c_str());
    };
    // The dispatch as the library runs it.
    std::optional<Timing> td[3];
    std::string picks;
    td[0] = time_it([&] { k::conv2d_forward<float>(d, x.data(), w.data(), b.data(), y.data()); });
    td[1] = time_it([&] { k::conv2d_backward_data<float>(d, dy.data(), w.data(), dx.data()); });
    td[2] = time_it(
        [&] { k::conv2d_backward_weight<float>(d, x.data(), dy.data(), dw.data(), db.data()); });
    for (k::ConvPass p : passes)
      picks += (picks.empty() ? "dispatch: " : "/") + std::string(k::conv2d_chosen(d, p).name);
    row(l.name, td, picks);
    for (const k::ConvImpl* impl : impls) {
      std::optional<Timing> t[3];
      bool any = false;
      for (int p = 0; p < 3; ++p)
        if (impl->handles(d, passes[p])) {
          t[p] = time_it([&] { impl->run(d, passes[p], buf[p]); });
          any = true;
        }
      if (any) row("  " + std::string(impl->name), t, "");
    }
  }
  return 0;
}

// `physcnn gradcheck MODEL` (a zoo name or a TOML model file): the model in float64 on a small
// random input; compares the backward pass with central differences for the input and every
// parameter.
#include <cstdio>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "cli/commands.hpp"
#include "cli/zoo.hpp"

namespace physcnn::cli {

Run add_gradcheck(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "gradcheck", "Check a model's gradients against central differences in double precision");
  struct Args {
    std::string model;
    std::vector<int64_t> input;
    int64_t batch = 2, coords = 200;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("model", a->model, "a zoo model or a model file (see `physcnn summary --help`)")
      ->required();
  cmd->add_option("--input", a->input, "input shape C,H,W (default: the model's)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", a->batch, "batch size")->check(CLI::Range(1, 64));
  cmd->add_option("--coords", a->coords, "coordinates sampled per tensor")
      ->check(CLI::Range(1, 100000));
  return [a] {
    ResolvedModel resolved = resolve_model(a->model, 0);
    auto model = resolved.model;
    std::vector<int64_t> dims{a->batch};
    const Shape in = a->input.empty() ? resolved.input : Shape(a->input);
    dims.insert(dims.end(), in.begin(), in.end());
    model->build(in);
    model->to(DType::F64);
    model->eval();  // batch statistics and dropout masks would change between evaluations
    Rng rng(7);
    std::vector<autograd::Var> inputs{
        autograd::Var(Tensor::uniform(Shape(dims), -1, 1, rng, DType::F64), true)};
    const auto params = model->named_parameters();
    for (const auto& [name, p] : params) inputs.push_back(p);
    const auto r =
        autograd::gradcheck([&](const std::vector<autograd::Var>& v) { return (*model)(v[0]); },
                            inputs, {.max_coords = a->coords});
    std::printf("%s: %lld coordinates checked, max |analytic - numeric| = %.3g: %s\n",
                resolved.name.c_str(), (long long)r.coords_checked, r.max_abs_error,
                r.ok ? "ok" : "FAILED");
    if (!r.ok) std::printf("%s\n", r.message.c_str());
    return r.ok ? 0 : 4;
  };
}

}  // namespace physcnn::cli

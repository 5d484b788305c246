// `physcnn summary MODEL`: one row per layer with its output shape and parameter count; MODEL is
// a zoo name or a TOML model file.
#include <cstdio>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/zoo.hpp"
#include "nn/summary.hpp"

namespace physcnn::cli {

Run add_summary(CLI::App& app) {
  auto* cmd = app.add_subcommand("summary", "Print a model's layers, output shapes and parameters");
  struct Args {
    std::string model;
    std::vector<int64_t> input;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("model", a->model,
                  "a zoo model (lenet5 fmnist_bn ising_cnn unet_small tinyvgg "
                  "vgg_small resnet_small mobilenet_small) or a model file (.toml, "
                  "docs/model_files.md)")
      ->required();
  cmd->add_option("--input", a->input, "input shape C,H,W without the batch (default: the model's)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  return [a] {
    ResolvedModel r = resolve_model(a->model, 0);
    const Shape input = a->input.empty() ? r.input : Shape(a->input);
    std::printf("%s (%s), input %s\n\n%s", r.name.c_str(), r.description.c_str(),
                nn::shape_tuple(input).c_str(),
                nn::format_summary(r.model->summary(input)).c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

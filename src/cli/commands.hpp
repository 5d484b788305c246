// The `physcnn` subcommands. Each file registers one subcommand on the CLI11 app and returns
// the function that runs it; main.cpp parses, runs and maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/shape.hpp"

namespace physcnn::nn {
class Module;
}
namespace physcnn::train {
struct Experiment;
}
namespace physcnn::data {
struct Array;
}

namespace physcnn::cli {

using Run = std::function<int()>;

Run add_ising(CLI::App& app);
Run add_generate(CLI::App& app);
Run add_generate_jets(CLI::App& generate);  // `generate jets`, under add_generate
// `generate airshower`: options and run of the toy surface detector on its subcommand.
Run add_generate_airshower(CLI::App& sub);
// The files `generate` writes: .npz (compressed) or .h5/.hdf5, checked before any work.
void check_out(const std::string& out);
void write_arrays(const std::string& out,
                  const std::vector<std::pair<std::string, data::Array>>& arrays);
Run add_summary(CLI::App& app);
Run add_layers(CLI::App& app);  // the model-file layer types and keys (nn/registry)
Run add_gradcheck(CLI::App& app);
Run add_bench(CLI::App& app);
Run add_train(CLI::App& app);
Run add_eval(CLI::App& app);
Run add_predict(CLI::App& app);
Run add_export(CLI::App& app);  // ONNX (cli/export.cpp)
Run add_ed(CLI::App& app);      // exact diagonalisation of spin models (physics/ed)
Run add_nqs(CLI::App& app);     // neural-quantum-state studies (physics/nqs)

// A model from a zoo name or a model .toml, with its natural input (cli/train.cpp).
struct ModelSpec {
  std::shared_ptr<nn::Module> model;
  Shape input;
  std::string file;  // the model file, empty for a zoo model
};
ModelSpec load_model_spec(const std::string& spec, uint64_t seed);
// The model of a run folder (RUN/experiment.toml, RUN/model.toml), unweighted; the experiment
// is returned through `experiment` when given.
ModelSpec load_run_model(const std::string& run_dir, train::Experiment* experiment = nullptr);

// Inspection (cli/report.cpp, show.cpp, probe.cpp).
Run add_report(CLI::App& app);
Run add_show(CLI::App& app);
Run add_probe(CLI::App& app);

// Parses "1.0:3.5:41" (start:stop:count) or "1.5,2.0,2.5" into temperatures.
std::vector<double> parse_range(const std::string& text, const std::string& option);

}  // namespace physcnn::cli

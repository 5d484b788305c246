// `physcnn bench`: the benchmark workloads W1-W5 (training and inference images/s, batch-1
// latency, peak memory, GFLOP/s); the runner lives in cli/bench_workloads.
#include "cli/bench_workloads.hpp"
#include "cli/commands.hpp"

namespace physcnn::cli {

Run add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure the benchmark workloads W1-W5");
  cmd->footer(bench::kBenchDescription);
  auto a = std::make_shared<bench::BenchArgs>();
  bench::add_bench_options(*cmd, *a);
  return [a] { return bench::run_bench_command(*a); };
}

}  // namespace physcnn::cli

// bench/run_bench: the benchmark workloads W1-W5 as a standalone program, the same runner and
// options as `physcnn bench` (see `run_bench --help`).
#include <cstdio>
#include <exception>

#include "cli/bench_workloads.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"run_bench: measure the benchmark workloads W1-W5"};
  app.footer(physcnn::bench::kBenchDescription);
  physcnn::bench::BenchArgs args;
  physcnn::bench::add_bench_options(app, args);
  CLI11_PARSE(app, argc, argv);
  try {
    return physcnn::bench::run_bench_command(args);
  } catch (const physcnn::Error& e) {
    std::fprintf(stderr, "run_bench: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_bench: internal error: %s\n", e.what());
    return 1;
  }
}

// The `physcnn` subcommands. Each file registers one subcommand on the CLI11 app and returns
// the function that runs it; main.cpp parses, runs and maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace physcnn::cli {

using Run = std::function<int()>;

Run add_ising(CLI::App& app);
Run add_generate(CLI::App& app);
Run add_summary(CLI::App& app);
Run add_gradcheck(CLI::App& app);
Run add_bench(CLI::App& app);

// Inspection (cli/report.cpp, show.cpp, probe.cpp).
Run add_report(CLI::App& app);
Run add_show(CLI::App& app);
Run add_probe(CLI::App& app);

// Parses "1.0:3.5:41" (start:stop:count) or "1.5,2.0,2.5" into temperatures.
std::vector<double> parse_range(const std::string& text, const std::string& option);

}  // namespace physcnn::cli

// Entry point of the `physcnn` command: the only place that catches every error. Exit codes:
// 0 ok, 2 usage or configuration error, 3 data or I/O error, 4 numerical failure.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "cli/commands.hpp"
#include "cli/safe_stdout.hpp"
#include "cli/stop_signal.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "dist/comm.hpp"

namespace {
// Messages quote file names, keys and layer names from files a user may not trust: control
// characters are shown as \xNN so that no escape sequence reaches the terminal.
void print_error(const char* kind, const std::string& message) {
  std::fprintf(stderr, "physcnn: %s: %s\n", kind, physcnn::printable(message).c_str());
}

int run(int argc, char** argv);
}  // namespace

// Under mpirun every rank runs the same command; a rank that fails stops the whole job (MPI_Abort
// with its exit code) so that no other rank waits forever in a collective.
int main(int argc, char** argv) {
  const int code = run(argc, argv);
  if (code != 0 && physcnn::dist::launched_under_mpi() && physcnn::dist::built_with_mpi()) {
    const auto& world = physcnn::dist::Comm::world();
    if (world.distributed()) {
      std::fprintf(stderr, "physcnn: rank %d of %d failed (exit %d); stopping every rank\n",
                   world.rank(), world.size(), code);
      world.abort(code);
    }
  }
  physcnn::dist::Comm::finalize();
  return code;
}

namespace {
int run(int argc, char** argv) {
  physcnn::cli::route_stop_signals();  // before any thread exists (cli/stop_signal.hpp)
  physcnn::cli::escape_stdout();       // no escape sequence from a file on stdout either
  CLI::App app{
      "physcnn: convolutional neural networks on physics data.\n"
      "Run `physcnn ising` for the Ising phase-transition study (no data needed)."};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "threads to use (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  std::vector<physcnn::cli::Run> runs{
      physcnn::cli::add_ising(app),   physcnn::cli::add_generate(app),
      physcnn::cli::add_summary(app), physcnn::cli::add_gradcheck(app),
      physcnn::cli::add_bench(app),   physcnn::cli::add_train(app),
      physcnn::cli::add_eval(app),    physcnn::cli::add_predict(app)};
  // Looking at what a network learned: run report, single pictures, invariance probe.
  for (auto add : {physcnn::cli::add_report, physcnn::cli::add_show, physcnn::cli::add_probe})
    runs.push_back(add(app));
  runs.push_back(physcnn::cli::add_export(app));  // ONNX
  runs.push_back(physcnn::cli::add_layers(app));  // the keys of model-file layer types
  runs.push_back(physcnn::cli::add_ed(app));      // exact diagonalisation (physics/ed)
  runs.push_back(physcnn::cli::add_nqs(app));     // neural quantum states (physics/nqs)
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    // `physcnn nosuchcmd --help` printed the top-level help and exited 0.
    if (const auto rest = app.remaining(); !rest.empty() && app.get_subcommands().empty()) {
      print_error("error", "unknown subcommand '" + rest.front() +
                               "' (physcnn --help lists the subcommands)");
      return 2;
    }
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    if (threads > 0) physcnn::set_num_threads(threads);
    physcnn::dist::Comm::world();  // initialises MPI only when started by mpirun or srun
    size_t i = 0;
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->parsed()) return runs.at(i)();
      ++i;
    }
    return 2;
  } catch (const physcnn::Error& e) {
    print_error("error", e.what());
    return e.exit_code();
  } catch (const CLI::ParseError& e) {
    print_error("error", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    print_error("error", "out of memory");
    return 3;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the system cannot follow or read (a symlink loop, a name past PATH_MAX, a folder
    // without permission): a data error about that path, not a fault of physcnn.
    print_error("error", e.path1().string() + ": " + e.code().message());
    return 3;
  } catch (const std::exception& e) {
    print_error("internal error", e.what());
    return 1;
  }
}
}  // namespace

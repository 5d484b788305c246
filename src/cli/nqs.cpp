// `physcnn nqs STUDY.toml`: a neural-quantum-state variational study, compared with exact
// diagonalisation; the run folder holds energy.csv, checkpoint.txt, result.json, a copy of the
// study file and the report page (index.html, report/energy.png).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/stop_signal.hpp"
#include "core/error.hpp"
#include "dist/comm.hpp"
#include "physics/nqs/study.hpp"
#include "report/report.hpp"

namespace physcnn::cli {

Run add_nqs(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "nqs",
      "Variational ground state of a spin model with a neural-network wavefunction (an RBM or "
      "the convolutional network of Choo et al.), optimised by stochastic reconfiguration or "
      "Adam on Metropolis samples, and compared with exact "
      "diagonalisation. Ctrl-C stops after the current iteration; --resume continues.\n"
      "Example: physcnn nqs examples/nqs/heisenberg_4x4.toml");
  struct Args {
    std::string file, out;
    bool resume = false;
    int iterations = 0, every = 10;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("file", a->file, "the study file (.toml): see docs/nqs.md")->required();
  cmd->add_option("--out", a->out, "run folder (default: runs/nqs-<file name>)");
  cmd->add_flag("--resume", a->resume, "continue from the run folder's checkpoint");
  cmd->add_option("--iterations", a->iterations, "override the file's iteration count")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--print-every", a->every, "print every this many iterations")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [a]() {
    physics::nqs::NqsSpec spec = physics::nqs::read_nqs_spec(a->file);
    if (a->iterations > 0) spec.iterations = a->iterations;
    const std::string out =
        a->out.empty() ? "runs/nqs-" + std::filesystem::path(a->file).stem().string() : a->out;
    // Under mpirun the ranks share the Markov chains; rank 0 alone prints and writes.
    const bool root = dist::Comm::world().is_root();
    if (root) {
      std::filesystem::create_directories(out);
      std::filesystem::copy_file(a->file, out + "/study.toml",
                                 std::filesystem::copy_options::overwrite_existing);
    }
    StopOnSignal guard;
    const auto r = physics::nqs::run_nqs(
        spec, out, a->resume,
        [&](const physics::nqs::IterationRecord& rec) {
          if (root && (rec.iteration % a->every == 0 || rec.iteration == 1))
            std::printf("iter %5d  E = %.8f +- %.8f  var %.4g  acc %.3f  %.0f s\n", rec.iteration,
                        rec.energy, rec.error, rec.variance, rec.acceptance, rec.seconds);
          std::fflush(stdout);
        },
        [] { return StopOnSignal::requested(); });
    if (!root) return r.stopped ? 130 : 0;
    // The report page: energy against iteration with the exact line, the final estimate.
    const auto page = report::write_run_report(out);
    if (r.stopped) {
      std::printf("stopped after iteration %d; continue with --resume\n",
                  r.history.empty() ? 0 : r.history.back().iteration);
      return 130;
    }
    std::printf("\n%s, %lld parameters, %.0f s of optimisation in this run; run folder %s\n",
                r.ansatz.c_str(), (long long)r.n_params, r.seconds, out.c_str());
    std::printf("acceptance %.3f, autocorrelation time %.2f sweeps\n", r.acceptance, r.tau);
    std::printf("variance   %.6g\n", r.variance);
    std::printf("E/N        %.8f +- %.8f\n", r.energy_per_site, r.error_per_site);
    if (std::isfinite(r.exact_per_site)) {
      std::printf("exact E/N  %.8f (%s)\n", r.exact_per_site,
                  r.exact_from_ed ? "physcnn ed" : "reference_energy of the study file");
      std::printf("rel. error %.3g\n", r.relative_error);
      if (r.exact_from_ed)
        std::printf("S(pi,pi)   %.6f (exact %.6f)\n", r.s_pipi, r.s_pipi_exact);
      else
        std::printf("S(pi,pi)   %.6f\n", r.s_pipi);
    } else {
      std::printf("S(pi,pi)   %.6f (no exact value: the lattice is too large for ED)\n", r.s_pipi);
    }
    std::printf("report     %s\n", page.index.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

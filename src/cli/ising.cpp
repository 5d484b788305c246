// `physcnn ising`: the phase-transition study, the main job (no data or arguments needed).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/ising_seeds.hpp"
#include "cli/stop_signal.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "dist/comm.hpp"
#include "physics/ising_study/protocols.hpp"
#include "physics/ising_study/study.hpp"
#include "physics/ising_study/triangular.hpp"
#include "viz/ising_report.hpp"

namespace physcnn::cli {

namespace {

template <class Args>
int run_mehta_protocol(const Args& a, const physics::ising::StudyOptions& o) {
  physics::ising::MehtaOptions m;
  if (!a.sizes.empty()) m.lattice_size = a.sizes.front();
  if (a.quick) {
    m.lattice_size = 16;
    m.configs_per_temperature = 64;
    m.epochs = 3;
  }
  if (a.per_temp) m.configs_per_temperature = a.per_temp;
  if (a.epochs) m.epochs = a.epochs;
  m.seed = o.seed;
  m.out_dir = o.out_dir;
  m.quiet = o.quiet;
  const auto r = physics::ising::run_mehta(m);
  std::printf("\n%-6s %s\n", "T", "accuracy (held out)");
  for (size_t i = 0; i < r.temperatures.size(); ++i)
    std::printf("%-6.2f %.4f%s\n", r.temperatures[i], r.accuracy_per_temperature[i],
                r.temperatures[i] >= 2.0 && r.temperatures[i] <= 2.5 ? "  (critical)" : "");
  std::printf(
      "\nMehta NB14 protocol, L = %lld: train %.4f, test %.4f, critical region %.4f "
      "(the notebook reports 100%% and 80-92%%)\nrun folder: %s (%.0f s)\n",
      (long long)m.lattice_size, r.train_accuracy, r.test_accuracy, r.critical_accuracy,
      o.out_dir.c_str(), r.seconds);
  return 0;
}

template <class Args>
int run_regression_task(const Args& a, const physics::ising::StudyOptions& o) {
  physics::ising::RegressionOptions g;
  if (!a.sizes.empty()) g.lattice_size = a.sizes.front();
  if (a.quick) {
    g.lattice_size = 8;
    g.configs_per_temperature = 64;
    g.epochs = 4;
  }
  g.temperatures = o.temperatures;
  if (a.per_temp) g.configs_per_temperature = a.per_temp;
  if (a.epochs) g.epochs = a.epochs;
  g.seed = o.seed;
  g.out_dir = o.out_dir;
  g.quiet = o.quiet;
  const auto r = physics::ising::run_temperature_regression(g);
  std::printf("\n%-6s %-12s %s\n", "T", "mean pred.", "RMSE");
  for (size_t i = 0; i < r.temperatures.size(); ++i)
    std::printf("%-6.2f %-12.4f %.4f\n", r.temperatures[i], r.mean_prediction[i], r.rmse[i]);
  std::printf(
      "\ntemperature regression, L = %lld: RMSE %.4f over the test split\nrun folder: "
      "%s (%.0f s)\n",
      (long long)g.lattice_size, r.overall_rmse, o.out_dir.c_str(), r.seconds);
  return 0;
}

}  // namespace

Run add_ising(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ising",
      "Simulate the 2D Ising model, train a CNN to tell ordered from disordered configurations "
      "and locate the critical temperature by finite-size extrapolation (Carrasquilla & Melko "
      "2017), compared with Onsager's exact T_c = 2.269185.");
  struct Args {
    bool quick = false, quiet = false, no_augment = false;
    std::vector<int64_t> sizes;
    std::string temps, out, resume, exclude, seeds, analyse, protocol = "carrasquilla",
                                                             task = "phase";
    std::string lattice = "square";
    int64_t per_temp = 0;
    int epochs = 0, ensemble = 0;
    uint64_t seed = 1;
  };
  auto a = std::make_shared<Args>();
  cmd->add_flag("--quick", a->quick, "small run for tests and CI (two sizes, ~30 s)");
  cmd->add_option("--sizes", a->sizes, "lattice sizes L (default 16,32,64)")
      ->check(CLI::Range(4, 512))
      ->delimiter(',');
  cmd->add_option("--temps", a->temps,
                  "temperatures start:stop:count or a,b,c (default 1.0:3.5:26 plus 12 near T_c)");
  cmd->add_option("--per-temp", a->per_temp, "configurations per temperature")
      ->check(CLI::Range(8, 1000000));
  cmd->add_option("--epochs", a->epochs, "training epochs per network (default 3)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--ensemble", a->ensemble, "networks per lattice size (default 4)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", a->seed,
                  "random seed (results are reproducible per seed and thread count)");
  cmd->add_option("--seeds", a->seeds,
                  "run the study once per seed (A-B or a,b,c; folders <out>/seed<N>) and print "
                  "T_c, its error and nu per seed with the coverage of the errors")
      ->excludes("--seed");
  cmd->add_option("--analyse", a->analyse,
                  "repeat only the analysis (crossings, bootstrap, extrapolation, collapse) of the "
                  "finished run folder DIR; with --seeds, of DIR/seed<N> for every seed");
  cmd->add_option("--out", a->out,
                  "run folder (default runs/ising-<date>-<time>); it keeps a checkpoint of every "
                  "network (L<L>/checkpoints/net<k>/last.safetensors) after every epoch");
  cmd->add_option("--resume", a->resume,
                  "continue a study stopped by Ctrl-C or SIGTERM in its run folder DIR: finished "
                  "networks are loaded from their checkpoints, an interrupted one repeats its "
                  "epoch; give the options of the run that started it (checked against "
                  "DIR/study.json). The result equals an uninterrupted run's")
      ->excludes("--out");
  cmd->add_option(
      "--exclude", a->exclude,
      "critical band LOW:HIGH left out of training (default 2.0:2.5; must contain T_c)");
  cmd->add_flag("--no-augment", a->no_augment,
                "do not augment with lattice symmetries and spin flip");
  cmd->add_flag("--quiet", a->quiet, "no progress output");
  cmd->add_option("--protocol", a->protocol,
                  "carrasquilla (default: T_c by finite-size extrapolation) or mehta (NB14 of "
                  "Mehta et al. 2019: L = 40, train on T < 2.0 and T > 2.5, accuracy on the "
                  "critical region)")
      ->check(CLI::IsMember({"carrasquilla", "mehta"}));
  cmd->add_option("--task", a->task,
                  "phase (classify ordered/disordered) or temperature (regress T, report the "
                  "error per temperature)")
      ->check(CLI::IsMember({"phase", "temperature"}));
  cmd->add_option("--lattice", a->lattice,
                  "square (default) or triangular: the triangular-lattice model (exact T_c = "
                  "4/ln 3 = 3.640957) with a hexagonal CNN, temperatures scaled from the square "
                  "protocol by the Bethe ratio ln 2/ln 1.5 (docs/ising.md)")
      ->check(CLI::IsMember({"square", "triangular"}));
  return [a] {
    physics::ising::StudyOptions o =
        a->quick ? physics::ising::quick_study_options() : physics::ising::StudyOptions{};
    if (a->lattice == "triangular") {
      PHYSCNN_CHECK_ARG(a->protocol == "carrasquilla" && a->task == "phase" && a->seeds.empty() &&
                            a->analyse.empty(),
                        "--lattice triangular runs the phase study only (no --protocol mehta, "
                        "--task temperature, --seeds or --analyse)");
      o = physics::ising::triangular_study_options(a->quick);
    }
    if (!a->sizes.empty()) o.sizes = a->sizes;
    if (!a->temps.empty()) {
      o.temperatures = parse_range(a->temps, "--temps");
    }
    if (!a->exclude.empty()) {
      const auto band = parse_range(a->exclude + ":2", "--exclude");
      o.exclude_low = band.front();
      o.exclude_high = band.back();
    }
    if (a->per_temp) o.configs_per_temperature = a->per_temp;
    if (a->epochs) o.epochs = a->epochs;
    if (a->ensemble) o.ensemble = a->ensemble;
    for (int64_t L : o.sizes)
      PHYSCNN_CHECK_ARG(o.lattice != physics::ising::LatticeType::triangular || L % 4 == 0,
                        "--sizes: the triangular study needs multiples of 4 (hexpool2d halves the "
                        "periodic grid, which must keep an even number of columns), got ",
                        L);
    o.seed = a->seed;
    o.augment = !a->no_augment;
    o.quiet = a->quiet;
    if (a->quiet) set_log_level(LogLevel::Warn);
    o.out_dir = a->resume.empty() ? a->out : a->resume;
    o.resume = !a->resume.empty();
    PHYSCNN_CHECK_ARG(!o.resume || (a->protocol == "carrasquilla" && a->task == "phase"),
                      "--resume continues the phase study (--protocol carrasquilla, --task "
                      "phase); the other protocols are short and keep no checkpoints");
    if (dist::Comm::world().distributed()) {  // docs/mpi.md
      PHYSCNN_CHECK_ARG(a->protocol == "carrasquilla" && a->task == "phase" && a->seeds.empty() &&
                            a->analyse.empty(),
                        "under mpirun, physcnn ising shares the phase study's Monte Carlo over "
                        "the ranks; --protocol mehta, --task temperature, --seeds and --analyse "
                        "run in one process (start them without mpirun)");
      if (!dist::Comm::world().is_root()) {  // its share of the Monte Carlo; rank 0 writes
        physics::ising::run_study(o);
        return 0;
      }
    }
    if (!a->analyse.empty()) {
      if (a->seeds.empty()) return print_run_analysis(a->analyse, o);
      o.out_dir = a->analyse;
      return run_seed_sweep(o, parse_seeds(a->seeds), true);
    }
    if (o.out_dir.empty()) {
      char stamp[32];
      const std::time_t now = std::time(nullptr);
      std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
      o.out_dir = std::string("runs/ising-") + stamp;
    }
    std::filesystem::create_directories(o.out_dir);
    if (a->protocol == "mehta") return run_mehta_protocol(*a, o);
    if (!a->seeds.empty()) {
      PHYSCNN_CHECK_ARG(a->task == "phase" && !o.resume,
                        "--seeds runs the phase study (no --task temperature, no --resume)");
      o.quiet = true;
      set_log_level(LogLevel::Warn);
      return run_seed_sweep(o, parse_seeds(a->seeds), false);
    }
    if (a->task == "temperature") return run_regression_task(*a, o);
    // Live view: while RUNNING exists the report page reloads itself; it is rebuilt after
    // every lattice size and once more, without the marker, at the end.
    const std::string marker = o.out_dir + "/RUNNING";
    std::ofstream(marker) << "physcnn ising\n";
    o.on_size_done = [&](const physics::ising::StudyResult&) {
      viz::write_ising_report(o.out_dir);
    };
    // Ctrl-C or SIGTERM stops after the current step; the checkpoints allow --resume.
    const StopOnSignal stop;
    o.should_stop = [] { return StopOnSignal::requested(); };
    physics::ising::StudyResult r;
    try {
      r = physics::ising::run_study(o);
    } catch (...) {
      std::filesystem::remove(marker);
      throw;
    }
    std::filesystem::remove(marker);
    viz::write_ising_report(o.out_dir);
    std::printf("\n%-4s %-10s %-9s %-9s %s\n", "L", "T*(L)", "error", "test acc",
                "seconds (MC + train)");
    double mc = 0, train = 0;
    for (const auto& s : r.sizes) {
      std::printf("%-4lld %-10.4f %-9.4f %-9.4f %.1f + %.1f\n", (long long)s.size,
                  s.crossing.temperature, s.crossing.error, s.test_accuracy, s.generate_seconds,
                  s.train_seconds);
      mc += s.generate_seconds;
      train += s.train_seconds;
    }
    std::printf("\n");
    print_finite_size_result(r.finite_size);
    std::printf("time: Monte Carlo %.1f s, training %.1f s, analysis %.1f s\n", mc, train,
                r.analysis_seconds);
    std::printf("run folder: %s (%.0f s); open %s/index.html for the plots\n", o.out_dir.c_str(),
                r.seconds, o.out_dir.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

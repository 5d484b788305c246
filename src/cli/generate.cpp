// `physcnn generate ising`: Monte Carlo configurations to .npz or HDF5, with the measured
// autocorrelation times and the spacing chosen from them.
#include <cstdio>

#include "cli/commands.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/npz.hpp"
#include "physics/ising/generator.hpp"

namespace physcnn::cli {

Run add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate physics data sets");
  cmd->require_subcommand(1);
  auto* ising = cmd->add_subcommand(
      "ising",
      "2D Ising configurations (int8 +-1) with temperatures, labels (1 = T < T_c), "
      "energies and magnetisations");
  struct Args {
    int64_t L = 32, per_temp = 500;
    std::string temps = "1.0:3.5:41", out;
    uint64_t seed = 0;
    double field = 0;
  };
  auto a = std::make_shared<Args>();
  ising->add_option("--L", a->L, "lattice size (even)")->check(CLI::Range(2, 4096));
  ising->add_option("--temps", a->temps, "temperatures start:stop:count or a,b,c");
  ising->add_option("--per-temp", a->per_temp, "configurations per temperature")
      ->check(CLI::Range(1, 100000000));
  ising->add_option("--seed", a->seed, "random seed");
  ising->add_option("--field", a->field, "external field h (Wolff updates need h = 0)");
  ising->add_option("--out", a->out, "output file, .npz or .h5")->required();
  return [a] {
    const bool h5 = a->out.ends_with(".h5") || a->out.ends_with(".hdf5");
    PHYSCNN_CHECK_ARG(h5 || a->out.ends_with(".npz"), "--out ", a->out,
                      ": the file name must end in .npz, .h5 or .hdf5");
    const auto temps = parse_range(a->temps, "--temps");
    const auto d = physics::ising::generate({.temperatures = temps,
                                             .lattice_size = a->L,
                                             .configs_per_temperature = a->per_temp,
                                             .seed = a->seed,
                                             .field = a->field});
    const Shape spins{d.count(), a->L, a->L}, n{d.count()};
    const std::vector<std::pair<std::string, data::Array>> arrays{
        {"spins", data::Array::from_vector(d.spins, spins)},
        {"temperature", data::Array::from_vector(d.temperature, n)},
        {"label", data::Array::from_vector(d.label, n)},
        {"energy", data::Array::from_vector(d.energy, n)},
        {"magnetisation", data::Array::from_vector(d.magnetisation, n)}};
    if (h5)
      data::write_hdf5(a->out, arrays);
    else
      data::write_npz(a->out, arrays, {.compress = true});
    std::printf("%-8s %-12s %-12s %-10s %-10s %-8s %-8s\n", "T", "E/N", "|m|", "tau_E", "tau_|m|",
                "equil", "spacing");
    for (const auto& s : d.summary)
      std::printf("%-8.4f %-12.6f %-12.6f %-10.2f %-10.2f %-8lld %-8lld\n", s.temperature,
                  s.energy.mean, s.abs_magnetisation.mean, s.tau_energy.tau,
                  s.tau_abs_magnetisation.tau, (long long)s.equilibration_sweeps,
                  (long long)s.spacing_sweeps);
    std::printf("wrote %lld configurations of %lldx%lld to %s\n", (long long)d.count(),
                (long long)a->L, (long long)a->L, a->out.c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

// `physcnn generate airshower`: events of the toy surface detector (physics/airshower) as a
// 2-channel image per event (log signal, arrival time) with the true energy, direction and core.
#include <cstdio>

#include "cli/commands.hpp"
#include "data/formats/array.hpp"
#include "physics/airshower/generator.hpp"

namespace physcnn::cli {

Run add_generate_airshower(CLI::App& sub) {
  namespace as = physics::airshower;
  sub.description(
      "Toy air-shower array (Erdmann, Glombitza & Walz 2018): x (N,2,R,C) log10(1+S/VEM) and "
      "arrival time [us], y (N,6) log10(E/10 EeV), direction u, core/km; and the raw records");
  auto o = std::make_shared<as::ShowerOptions>();
  auto grid = std::make_shared<std::string>("square");
  auto out = std::make_shared<std::string>();
  sub.option_defaults()->always_capture_default();  // --help shows the simulation's defaults
  sub.add_option("--grid", *grid, "square (9x9 detectors) or hex (triangular, odd-q offset)")
      ->check(CLI::IsMember({"square", "hex"}));
  sub.add_option("--n", o->events, "events")->check(CLI::Range(1, 100000000));
  sub.add_option("--rows", o->rows, "rows of stations")->check(CLI::Range(2, 1000));
  sub.add_option("--cols", o->cols, "columns of stations")->check(CLI::Range(2, 1000));
  sub.add_option("--spacing", o->spacing, "metres between neighbouring stations");
  sub.add_option("--seed", o->seed, "random seed (event i uses stream i)");
  sub.add_option("--energy-min", o->energy_min, "lowest energy in EeV (log-uniform)");
  sub.add_option("--energy-max", o->energy_max, "highest energy in EeV");
  sub.add_option("--zenith-max", o->zenith_max, "largest zenith angle in degrees");
  sub.add_option("--core-range", o->core_range, "core uniform in [-range, range]^2 metres");
  sub.add_option("--curvature", o->curvature, "radius of the shower front in m (0: plane)");
  sub.add_option("--jitter", o->time_jitter, "Gaussian time jitter in ns");
  sub.add_option("--saturation", o->saturation, "signals are clipped here, VEM (0: none)");
  sub.add_option("--threshold", o->threshold, "smallest signal that triggers, VEM");
  sub.add_option("--dead", o->dead_fraction, "probability that a station records nothing");
  sub.add_flag(
      "--no-fluctuations", [o](int64_t) { o->fluctuations = false; },
      "expected signals and exact times (no Poisson, no jitter)");
  sub.add_option("--out", *out, "output file, .npz or .h5")->required();
  return [o, grid, out] {
    check_out(*out);
    o->grid = *grid == "hex" ? as::Grid::Hex : as::Grid::Square;
    const as::ShowerDataset d = as::generate(*o);
    const int64_t n = d.count(), r = d.rows, c = d.cols;
    write_arrays(*out, {{"x", data::Array::from_vector(d.x, Shape{n, 2, r, c})},
                        {"y", data::Array::from_vector(d.y, Shape{n, 6})},
                        {"signal", data::Array::from_vector(d.signal, Shape{n, r, c})},
                        {"time", data::Array::from_vector(d.time, Shape{n, r, c})},
                        {"energy", data::Array::from_vector(d.energy, Shape{n})},
                        {"direction", data::Array::from_vector(d.direction, Shape{n, 3})},
                        {"core", data::Array::from_vector(d.core, Shape{n, 2})},
                        {"triggered", data::Array::from_vector(d.triggered, Shape{n})}});
    double mean_hits = 0;
    int64_t saturated = 0;
    for (int64_t t : d.triggered) mean_hits += double(t);
    for (double s : d.signal) saturated += o->saturation > 0 && s >= o->saturation;
    std::printf(
        "wrote %lld showers on a %lldx%lld %s array (%.0f m; %.1f stations triggered per "
        "event, %lld saturated signals) to %s\n",
        (long long)n, (long long)r, (long long)c, grid->c_str(), o->spacing, mean_hits / double(n),
        (long long)saturated, out->c_str());
    return 0;
  };
}

}  // namespace physcnn::cli

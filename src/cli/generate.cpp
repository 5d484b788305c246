// `physcnn generate ising`: Monte Carlo configurations to .npz or HDF5, with the measured
// autocorrelation times and the spacing chosen from them; `physcnn generate tracks`: toy tracker
// images with per-pixel labels for segmentation; `generate jets` is in generate_jets.cpp and
// `generate airshower` in generate_airshower.cpp.
#include <cstdio>

#include "cli/commands.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/npz.hpp"
#include "dist/comm.hpp"
#include "physics/ising/generator.hpp"
#include "physics/ising_study/distributed.hpp"
#include "physics/tracks/generator.hpp"

namespace physcnn::cli {

void write_arrays(const std::string& out,
                  const std::vector<std::pair<std::string, data::Array>>& arrays) {
  const bool h5 = out.ends_with(".h5") || out.ends_with(".hdf5");
  if (h5)
    data::write_hdf5(out, arrays);
  else
    data::write_npz(out, arrays, {.compress = true});
}

void check_out(const std::string& out) {
  PHYSCNN_CHECK_ARG(out.ends_with(".npz") || out.ends_with(".h5") || out.ends_with(".hdf5"),
                    "--out ", out, ": the file name must end in .npz, .h5 or .hdf5");
}

namespace {

Run add_generate_tracks(CLI::App& cmd) {
  auto* sub = cmd.add_subcommand(
      "tracks",
      "2D tracker images: helices from near the origin, straight cosmics, noise hits and "
      "inefficiency; x (N,1,S,S) charge, y (N,S*S) class per pixel, and the true tracks");
  auto o = std::make_shared<physics::tracks::TrackOptions>();
  auto out = std::make_shared<std::string>();
  sub->add_option("--size", o->size, "image side in pixels (64, 128, ...)")
      ->check(CLI::Range(8, 4096));
  sub->add_option("--events", o->events, "images")->check(CLI::Range(1, 100000000));
  sub->add_option("--seed", o->seed, "random seed (event i uses stream i)");
  sub->add_option("--field", o->field, "magnetic field in tesla (image half-width 1 m)");
  sub->add_option("--pt-min", o->pt_min, "lowest p_T in GeV (log-uniform)");
  sub->add_option("--pt-max", o->pt_max, "highest p_T in GeV");
  sub->add_option("--min-tracks", o->min_tracks, "fewest tracks from the origin per event");
  sub->add_option("--max-tracks", o->max_tracks, "most tracks from the origin per event");
  sub->add_option("--cosmics", o->cosmic_probability, "probability of a straight cosmic track");
  sub->add_option("--noise", o->noise, "probability of a noise hit per pixel");
  sub->add_option("--inefficiency", o->inefficiency, "probability that a track pixel is lost");
  sub->add_flag("--curlers", o->curler_classes,
                "three classes: 1 high-momentum track, 2 low-momentum curler (2R < half-width)");
  sub->add_option("--out", *out, "output file, .npz or .h5")->required();
  return [o, out] {
    check_out(*out);
    const auto d = physics::tracks::generate(*o);
    const int64_t n = d.count(), s = d.size, t = int64_t(d.tracks.size());
    const auto rows = static_cast<size_t>(t);
    std::vector<int64_t> event(rows), charge(rows), label(rows), cosmic(rows), hits(rows);
    std::vector<double> pt(rows), cx(rows), cy(rows), radius(rows), x0(rows), y0(rows), dx(rows),
        dy(rows);
    int64_t hit_total = 0;
    for (size_t i = 0; i < rows; ++i) {
      const auto& k = d.tracks[i];
      event[i] = k.event, charge[i] = k.charge, label[i] = k.label, cosmic[i] = k.cosmic;
      hits[i] = int64_t(k.hit_x.size());
      hit_total += hits[i];
      pt[i] = k.pt, cx[i] = k.cx, cy[i] = k.cy, radius[i] = k.radius;
      x0[i] = k.x0, y0[i] = k.y0, dx[i] = k.dx, dy[i] = k.dy;
    }
    const Shape per{t};
    write_arrays(*out, {{"x", data::Array::from_vector(d.images, Shape{n, 1, s, s})},
                        {"y", data::Array::from_vector(d.labels, Shape{n, s * s})},
                        {"track_event", data::Array::from_vector(event, per)},
                        {"track_cosmic", data::Array::from_vector(cosmic, per)},
                        {"track_charge", data::Array::from_vector(charge, per)},
                        {"track_label", data::Array::from_vector(label, per)},
                        {"track_hits", data::Array::from_vector(hits, per)},
                        {"track_pt", data::Array::from_vector(pt, per)},
                        {"track_cx", data::Array::from_vector(cx, per)},
                        {"track_cy", data::Array::from_vector(cy, per)},
                        {"track_radius", data::Array::from_vector(radius, per)},
                        {"track_x0", data::Array::from_vector(x0, per)},
                        {"track_y0", data::Array::from_vector(y0, per)},
                        {"track_dx", data::Array::from_vector(dx, per)},
                        {"track_dy", data::Array::from_vector(dy, per)}});
    int64_t lit = 0, track_pixels = 0;
    for (size_t i = 0; i < d.images.size(); ++i) {
      lit += d.images[i] > 0;
      track_pixels += d.labels[i] > 0;
    }
    std::printf(
        "wrote %lld events of %lldx%lld (%lld tracks, %lld hits; %.2f%% of pixels lit, %.2f%% "
        "track pixels) to %s\n",
        (long long)n, (long long)s, (long long)s, (long long)t, (long long)hit_total,
        100.0 * double(lit) / double(d.images.size()),
        100.0 * double(track_pixels) / double(d.images.size()), out->c_str());
    return 0;
  };
}

}  // namespace

Run add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate physics data sets");
  cmd->require_subcommand(1);
  auto* ising = cmd->add_subcommand(
      "ising",
      "2D Ising configurations (int8 +-1) with temperatures, labels (1 = T < T_c), "
      "energies and magnetisations");
  struct Args {
    int64_t L = 32, per_temp = 500;
    std::string temps = "1.0:3.5:41", out, lattice = "square";
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
  ising
      ->add_option("--lattice", a->lattice,
                   "square (default) or triangular (six neighbours, stored on the odd-q "
                   "hexagonal grid of hexconv2d; L >= 4; labels from T_c = 4/ln 3)")
      ->check(CLI::IsMember({"square", "triangular"}));
  auto tracks = add_generate_tracks(*cmd);
  auto jets = add_generate_jets(*cmd);
  auto* shower_cmd = cmd->add_subcommand("airshower");
  auto shower = add_generate_airshower(*shower_cmd);
  return [a, ising, tracks, jets, cmd, shower_cmd, shower] {
    if (cmd->got_subcommand("jets")) return jets();
    if (shower_cmd->parsed()) return shower();
    if (!ising->parsed()) return tracks();
    check_out(a->out);
    const auto temps = parse_range(a->temps, "--temps");
    const physics::ising::GeneratorOptions options{
        .temperatures = temps,
        .lattice_size = a->L,
        .configs_per_temperature = a->per_temp,
        .seed = a->seed,
        .field = a->field,
        .lattice = physics::ising::parse_lattice_type(a->lattice, "--lattice")};
    // Under mpirun the ranks share the temperatures; rank 0 receives them all and writes.
    const auto& world = dist::Comm::world();
    const auto d = world.distributed()
                       ? std::move(physics::ising::generate_on_ranks({options}, world).front())
                       : physics::ising::generate(options);
    if (!world.is_root()) return 0;
    const Shape spins{d.count(), a->L, a->L}, n{d.count()};
    const std::vector<std::pair<std::string, data::Array>> arrays{
        {"spins", data::Array::from_vector(d.spins, spins)},
        {"temperature", data::Array::from_vector(d.temperature, n)},
        {"label", data::Array::from_vector(d.label, n)},
        {"energy", data::Array::from_vector(d.energy, n)},
        {"magnetisation", data::Array::from_vector(d.magnetisation, n)}};
    write_arrays(a->out, arrays);
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

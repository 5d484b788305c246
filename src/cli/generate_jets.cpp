// `physcnn generate jets`: toy W -> q qbar and QCD jets clustered with anti-k_T (FastJet) as jet
// images (p_T per pixel), with the true jet mass, the mass seen in the final image, and the
// constituents; optionally a picture of the mass distributions.
#include <cmath>
#include <cstdio>

#include "cli/commands.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/npz.hpp"
#include "physics/jets/generator.hpp"
#include "viz/line_plot.hpp"

namespace physcnn::cli {

namespace {

namespace jets = physics::jets;

// A histogram of values in [0, hi) as a step line, the fraction of the class per bin.
viz::Series histogram(const std::vector<double>& values, double scale, double hi, int bins,
                      std::string label, size_t color, bool dashed) {
  std::vector<double> count(size_t(bins), 0.0);
  for (double v : values) {
    const double b = std::floor(v * scale / hi * bins);
    if (b >= 0 && b < bins) count[size_t(b)] += 1;
  }
  viz::Series s{.label = std::move(label),
                .style = viz::SeriesStyle::Lines,
                .dashed = dashed,
                .color = color};
  const double width = hi / bins;
  for (int b = 0; b < bins; ++b) {
    const double f = values.empty() ? 0 : count[size_t(b)] / double(values.size());
    s.x.insert(s.x.end(), {b * width, (b + 1) * width});
    s.y.insert(s.y.end(), {f, f});
  }
  return s;
}

void plot_masses(const jets::JetDataset& d, const jets::JetOptions& o, const std::string& path) {
  std::vector<double> true_mass[2], image_mass[2];
  double raw_pt = 0;
  for (int64_t i = 0; i < d.count(); ++i) {
    const auto c = size_t(d.labels[size_t(i)]);
    true_mass[c].push_back(d.mass[size_t(i)]);
    image_mass[c].push_back(d.image_mass[size_t(i)]);
    for (int64_t k = d.first[size_t(i)]; k < d.first[size_t(i) + 1]; ++k)
      raw_pt += d.constituents[size_t(k)].pt;
  }
  // Normalised images carry m / sum p_T: one common factor (the mean sum p_T) brings them back to
  // GeV, so the picture shows the shape the network sees.
  const double scale = o.image.normalise ? raw_pt / double(d.count()) : 1.0;
  const std::string how = std::string(jets::preprocess_name(o.image.preprocess)) +
                          (o.image.normalise ? " + normalise" : "");
  viz::LinePlot plot({.title = "jet mass, preprocessing: " + how,
                      .x_label = o.image.normalise
                                     ? "jet mass (GeV; image: x mean sum p_T = " +
                                           std::to_string(int(std::lround(scale))) + " GeV)"
                                     : "jet mass (GeV)",
                      .y_label = "fraction of jets per 5 GeV",
                      .x_min = 0.0,
                      .x_max = 200.0,
                      .y_min = 0.0});
  plot.add(histogram(true_mass[1], 1, 200, 40, "W, true", 0, false));
  plot.add(histogram(true_mass[0], 1, 200, 40, "QCD, true", 1, false));
  plot.add(histogram(image_mass[1], scale, 200, 40, "W, image", 0, true));
  plot.add(histogram(image_mass[0], scale, 200, 40, "QCD, image", 1, true));
  if (path.ends_with(".svg"))
    plot.save_svg(path);
  else
    plot.save_png(path);
}

}  // namespace

Run add_generate_jets(CLI::App& cmd) {
  auto* sub = cmd.add_subcommand(
      "jets",
      "toy boosted W -> q qbar (label 1) and QCD (label 0) jets, anti-k_T (FastJet), as jet "
      "images: x (N,1,S,S) p_T per pixel, y (N), mass (N) the true jet mass, image_mass, pt, "
      "eta, phi, and the constituents (const_pt, const_eta, const_phi, const_first)");
  auto o = std::make_shared<jets::JetOptions>();
  auto out = std::make_shared<std::string>();
  auto plot = std::make_shared<std::string>();
  auto preprocess = std::make_shared<std::string>("none");
  sub->add_option("--events", o->events, "jets (half W, half QCD)")
      ->check(CLI::Range(int64_t(1), int64_t(100000000)));
  sub->add_option("--seed", o->seed, "random seed (event i uses stream i)");
  sub->add_option("--pt-min", o->pt_min, "lowest p_T of the W or parton (GeV)");
  sub->add_option("--pt-max", o->pt_max, "highest p_T of the W or parton (GeV)");
  sub->add_option("--radius", o->radius, "anti-k_T radius R");
  sub->add_option("--soft-density", o->soft_density,
                  "soft particles per unit (eta, phi) area (mean p_T --soft-pt)");
  sub->add_option("--soft-pt", o->soft_pt, "mean p_T of the soft particles (GeV)");
  sub->add_option("--size", o->image.size, "image side in pixels (odd)");
  sub->add_option("--pixel", o->image.pixel, "pixel width in eta and phi");
  sub->add_option("--preprocess", *preprocess,
                  "none; image (centre, rotate, flip the pixels); constituents (the same as "
                  "boost and rotations of the constituents: keeps the jet mass)");
  sub->add_flag("--normalise", o->image.normalise, "divide each image by its total p_T");
  sub->add_option("--plot", *plot, "write the mass distributions to this PNG (or .svg)");
  sub->add_option("--out", *out, "output file, .npz or .h5")->required();
  return [o, out, plot, preprocess] {
    PHYSCNN_CHECK_ARG(out->ends_with(".npz") || out->ends_with(".h5") || out->ends_with(".hdf5"),
                      "--out ", *out, ": the file name must end in .npz, .h5 or .hdf5");
    o->image.preprocess = jets::parse_preprocess(*preprocess);
    const jets::JetDataset d = jets::generate(*o);
    const int64_t n = d.count(), s = d.size, k = int64_t(d.constituents.size());
    std::vector<double> cpt, ceta, cphi;
    for (const auto& p : d.constituents)
      cpt.push_back(p.pt), ceta.push_back(p.eta), cphi.push_back(p.phi);
    const std::vector<std::pair<std::string, data::Array>> arrays{
        {"x", data::Array::from_vector(d.images, Shape{n, 1, s, s})},
        {"y", data::Array::from_vector(d.labels, Shape{n})},
        {"mass", data::Array::from_vector(d.mass, Shape{n})},
        {"image_mass", data::Array::from_vector(d.image_mass, Shape{n})},
        {"pt", data::Array::from_vector(d.pt, Shape{n})},
        {"eta", data::Array::from_vector(d.eta, Shape{n})},
        {"phi", data::Array::from_vector(d.phi, Shape{n})},
        {"const_first", data::Array::from_vector(d.first, Shape{n + 1})},
        {"const_pt", data::Array::from_vector(cpt, Shape{k})},
        {"const_eta", data::Array::from_vector(ceta, Shape{k})},
        {"const_phi", data::Array::from_vector(cphi, Shape{k})}};
    if (out->ends_with(".npz"))
      data::write_npz(*out, arrays, {.compress = true});
    else
      data::write_hdf5(*out, arrays);
    std::printf("%-6s %-8s %-16s %-16s %-16s\n", "class", "jets", "mass (GeV)", "image mass",
                "|image-true|/true");
    for (int c : {1, 0}) {
      double cnt = 0, m = 0, m2 = 0, im = 0, rel = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (d.labels[size_t(i)] != c) continue;
        const double mi = d.mass[size_t(i)];
        cnt += 1, m += mi, m2 += mi * mi, im += d.image_mass[size_t(i)];
        if (mi > 0) rel += std::abs(d.image_mass[size_t(i)] - mi) / mi;
      }
      const double mean = m / cnt;
      // A normalised image's mass is m / sum p_T: no GeV to compare.
      std::printf("%-6s %-8.0f %6.1f +- %-7.1f %-16.4g %s\n", c ? "W" : "QCD", cnt, mean,
                  std::sqrt(std::max(0.0, m2 / cnt - mean * mean)), im / cnt,
                  o->image.normalise ? "(normalised)" : std::to_string(rel / cnt).c_str());
    }
    std::printf("wrote %lld jets (%lld constituents) as %lldx%lld images (%s%s) to %s\n",
                (long long)n, (long long)k, (long long)s, (long long)s,
                jets::preprocess_name(o->image.preprocess),
                o->image.normalise ? " + normalise" : "", out->c_str());
    if (!plot->empty()) {
      plot_masses(d, *o, *plot);
      std::fprintf(stderr, "wrote %s\n", plot->c_str());
    }
    return 0;
  };
}

}  // namespace physcnn::cli

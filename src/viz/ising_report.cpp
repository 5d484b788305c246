// write_ising_report: metrics.json -> four plots and index.html (self-contained, relative links,
// live reload while the run is going).
#include "viz/ising_report.hpp"

#include "viz/figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "viz/line_plot.hpp"

namespace physcnn::viz {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kOnsagerTc = 2.0 / std::log(1.0 + std::sqrt(2.0));

// Complete elliptic integral of the first kind K(k) by the arithmetic-geometric mean
// (Abramowitz & Stegun 17.6): K = π / (2 AGM(1, sqrt(1 - k²))).
double elliptic_k(double k) {
  double a = 1, b = std::sqrt(std::max(0.0, 1 - k * k));
  for (int i = 0; i < 40 && std::abs(a - b) > 1e-15 * a; ++i) {
    const double an = (a + b) / 2;
    b = std::sqrt(a * b);
    a = an;
  }
  return M_PI / (2 * a);
}

// The parts of metrics.json the report uses. Missing numbers are NaN (a run in progress may
// not have them yet); JSON null (how nlohmann writes NaN) is NaN too.
struct SizeMetrics {
  int64_t L = 0;
  std::vector<double> temperatures, p_ordered, p_error;
  double t_star = kNaN, t_star_error = kNaN, test_accuracy = kNaN;
  double generate_seconds = kNaN, train_seconds = kNaN;
  std::vector<double> epoch, train_loss, val_loss;
  std::vector<double> mc_t, mc_energy, mc_energy_error;
};

struct RunMetrics {
  double t_c = kNaN, t_c_error = kNaN, slope = kNaN, onsager = kOnsagerTc;
  double deviation_percent = kNaN, deviation_sigma = kNaN, seconds = kNaN, seed = kNaN;
  double nu = kNaN, nu_error = kNaN;                                          // from the collapse
  double collapse_tc = kNaN, collapse_nu = kNaN, width = kNaN, shift = kNaN;  // its fit
  std::vector<SizeMetrics> sizes;
  // Any "config" object's entries, shown as they are (the study may add its options there).
  std::vector<std::pair<std::string, std::string>> config;
  // The triangular study writes "lattice" and "exact_T_c" (4/ln 3); its energy has no curve here.
  bool square = true;
  std::string exact_name = "Onsager";
};

double number(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return kNaN;
  return j.at(key).get<double>();  // throws type_error on a string, object, ...
}

std::vector<double> numbers(const nlohmann::json& j, const char* key) {
  std::vector<double> v;
  if (!j.contains(key) || j.at(key).is_null()) return v;
  for (const auto& x : j.at(key)) v.push_back(x.is_null() ? kNaN : x.get<double>());
  return v;
}

RunMetrics read_metrics(const std::string& path) {
  std::ifstream in(path);
  PHYSCNN_CHECK(in.good(), IoError, "write_ising_report: cannot open ", path,
                " (is this a run folder of `physcnn ising`?)");
  RunMetrics m;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    PHYSCNN_CHECK(j.is_object() && j.contains("sizes") && j.at("sizes").is_array(), IoError,
                  "write_ising_report: ", path, " has no \"sizes\" array");
    m.t_c = number(j, "T_c");
    m.t_c_error = number(j, "T_c_error");
    m.slope = number(j, "slope");
    if (j.contains("onsager_T_c")) m.onsager = number(j, "onsager_T_c");
    if (j.contains("lattice") && j.at("lattice") == "triangular") {
      m.square = false;
      m.exact_name = "exact";
      m.onsager = number(j, "exact_T_c");
    }
    m.deviation_percent = number(j, "deviation_percent");
    m.deviation_sigma = number(j, "deviation_sigma");
    m.seconds = number(j, "seconds");
    m.seed = number(j, "seed");
    m.nu = number(j, "nu");
    m.nu_error = number(j, "nu_error");
    if (j.contains("collapse") && j.at("collapse").is_object()) {
      const auto& c = j.at("collapse");
      m.collapse_tc = number(c, "T_c");
      m.collapse_nu = number(c, "nu");
      m.width = number(c, "width");
      m.shift = number(c, "shift");
    }
    if (j.contains("config") && j.at("config").is_object())
      for (const auto& [key, value] : j.at("config").items())
        m.config.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    for (const auto& s : j.at("sizes")) {
      SizeMetrics r;
      r.L = s.at("L").get<int64_t>();
      r.temperatures = numbers(s, "temperatures");
      r.p_ordered = numbers(s, "p_ordered");
      r.p_error = numbers(s, "p_error");
      PHYSCNN_CHECK(r.temperatures.size() == r.p_ordered.size() &&
                        (r.p_error.empty() || r.p_error.size() == r.p_ordered.size()),
                    IoError, "write_ising_report: ", path, ": L = ", r.L, " has ",
                    r.temperatures.size(), " temperatures, ", r.p_ordered.size(), " p_ordered and ",
                    r.p_error.size(), " p_error values");
      if (s.contains("crossing")) {
        r.t_star = number(s.at("crossing"), "T_star");
        r.t_star_error = number(s.at("crossing"), "error");
      }
      r.test_accuracy = number(s, "test_accuracy_outside_band");
      r.generate_seconds = number(s, "generate_seconds");
      r.train_seconds = number(s, "train_seconds");
      if (s.contains("history"))
        for (const auto& e : s.at("history")) {
          r.epoch.push_back(number(e, "epoch"));
          r.train_loss.push_back(number(e, "train_loss"));
          r.val_loss.push_back(number(e, "val_loss"));
        }
      if (s.contains("monte_carlo"))
        for (const auto& t : s.at("monte_carlo")) {
          r.mc_t.push_back(number(t, "T"));
          r.mc_energy.push_back(number(t, "energy"));
          r.mc_energy_error.push_back(number(t, "energy_error"));
        }
      m.sizes.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError("write_ising_report: " + path + " is not a valid metrics file: " + e.what());
  }
  return m;
}

std::string fmt(const char* format, double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string size_label(int64_t L) {
  return "L = " + std::to_string(L);
}

void save_both(const LinePlot& plot, const std::string& dir, const std::string& name) {
  plot.save_png(dir + "/" + name + ".png");
  plot.save_svg(dir + "/" + name + ".svg");
}

void plot_p_ordered(const RunMetrics& m, const std::string& dir) {
  LinePlot plot({.title = "Network output P(ordered) per lattice size",
                 .x_label = "temperature T (J/k_B)",
                 .y_label = "P(ordered) (mean network output)",
                 .y_min = 0,
                 .y_max = 1});
  for (const auto& s : m.sizes)
    plot.add(
        {.label = size_label(s.L), .x = s.temperatures, .y = s.p_ordered, .y_error = s.p_error});
  plot.add_reference(
      {.value = m.onsager, .label = m.exact_name + " T_c = " + fmt("%.4f", m.onsager)});
  save_both(plot, dir, "p_ordered");
}

void plot_crossing(const RunMetrics& m, const std::string& dir) {
  LinePlot plot({.title = "Finite-size extrapolation of the crossing T*(L)",
                 .x_label = "inverse lattice size 1/L",
                 .y_label = "crossing temperature T* (J/k_B)",
                 .x_min = 0});
  Series points{.label = "T*(L), P(ordered) = 1/2", .style = SeriesStyle::Markers, .color = 0};
  double max_inv = 0;
  for (const auto& s : m.sizes) {
    points.x.push_back(1.0 / static_cast<double>(s.L));
    points.y.push_back(s.t_star);
    points.y_error.push_back(std::isfinite(s.t_star_error) ? s.t_star_error : 0);
    max_inv = std::max(max_inv, 1.0 / static_cast<double>(s.L));
  }
  plot.add(std::move(points));
  if (std::isfinite(m.t_c) && std::isfinite(m.slope)) {
    const double x1 = max_inv * 1.1;
    plot.add({.label = "fit T_c + a/L",
              .x = {0, x1},
              .y = {m.t_c, m.t_c + m.slope * x1},
              .style = SeriesStyle::Lines,
              .dashed = false,
              .color = 1});
    plot.add({.label = "T_c = " + fmt("%.4f", m.t_c) + " ± " + fmt("%.4f", m.t_c_error),
              .x = {0},
              .y = {m.t_c},
              .y_error = {std::isfinite(m.t_c_error) ? m.t_c_error : 0},
              .style = SeriesStyle::Markers,
              .color = 3});
  }
  plot.add_reference({.value = m.onsager,
                      .label = m.exact_name + " T_c = " + fmt("%.4f", m.onsager),
                      .vertical = false});
  save_both(plot, dir, "crossing");
}

// P(ordered) against the scaling variable (T - T_c) L^(1/nu) with the collapse's T_c and nu:
// near T_c every size falls on the fitted scaling function (1 - tanh(x/w - s)) / 2.
void plot_collapse(const RunMetrics& m, const std::string& dir) {
  LinePlot plot({.title = "Data collapse: P(ordered) against (T - T_c) L^(1/ν)",
                 .x_label = "(T - T_c) L^(1/ν)   (T_c = " + fmt("%.4f", m.collapse_tc) +
                            ", ν = " + fmt("%.3f", m.collapse_nu) + ")",
                 .y_label = "P(ordered) (mean network output)",
                 .y_min = 0,
                 .y_max = 1});
  const bool fitted = std::isfinite(m.collapse_tc) && std::isfinite(m.collapse_nu) &&
                      std::isfinite(m.width) && std::isfinite(m.shift) && m.collapse_nu > 0;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : m.sizes) {
    Series points{.label = size_label(s.L), .style = SeriesStyle::Markers};
    if (fitted)
      for (size_t i = 0; i < s.temperatures.size(); ++i) {
        if (std::abs(s.temperatures[i] - m.collapse_tc) > 0.3) continue;  // the fitted range
        const double x =
            (s.temperatures[i] - m.collapse_tc) * std::pow(double(s.L), 1.0 / m.collapse_nu);
        points.x.push_back(x);
        points.y.push_back(s.p_ordered[i]);
        points.y_error.push_back(s.p_error.empty() ? 0.0 : s.p_error[i]);
        lo = std::min(lo, x), hi = std::max(hi, x);
      }
    plot.add(std::move(points));
  }
  if (fitted && lo < hi) {
    Series curve{
        .label = "scaling function (1 - tanh(x/w - s))/2", .style = SeriesStyle::Lines, .color = 6};
    for (int i = 0; i <= 200; ++i) {
      const double x = lo + (hi - lo) * i / 200.0;
      curve.x.push_back(x);
      curve.y.push_back(0.5 * (1 - std::tanh(x / m.width - m.shift)));
    }
    plot.add(std::move(curve));
  }
  save_both(plot, dir, "collapse");
}

void plot_training(const RunMetrics& m, const std::string& dir) {
  LinePlot plot({.title = "Training (solid) and validation (dashed) loss",
                 .x_label = "epoch",
                 .y_label = "cross-entropy loss (nats)",
                 .integer_x = true});
  for (size_t k = 0; k < m.sizes.size(); ++k) {
    const auto& s = m.sizes[k];
    plot.add({.label = size_label(s.L) + " train", .x = s.epoch, .y = s.train_loss, .color = k});
    plot.add({.label = size_label(s.L) + " validation",
              .x = s.epoch,
              .y = s.val_loss,
              .dashed = true,
              .color = k});
  }
  save_both(plot, dir, "training");
}

void plot_monte_carlo(const RunMetrics& m, const std::string& dir) {
  LinePlot plot({.title = "Monte Carlo energy per spin",
                 .x_label = "temperature T (J/k_B)",
                 .y_label = "energy per spin u (J)"});
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : m.sizes) {
    plot.add({.label = size_label(s.L),
              .x = s.mc_t,
              .y = s.mc_energy,
              .y_error = s.mc_energy_error,
              .style = SeriesStyle::Markers});
    for (double t : s.mc_t)
      if (std::isfinite(t) && t > 0) lo = std::min(lo, t), hi = std::max(hi, t);
  }
  if (lo < hi && m.square) {
    Series exact{.label = "Onsager, L = ∞", .style = SeriesStyle::Lines, .color = 6};
    for (int i = 0; i <= 200; ++i) {
      const double t = lo + (hi - lo) * i / 200.0;
      exact.x.push_back(t);
      exact.y.push_back(exact_ising_energy_per_spin(t));
    }
    plot.add(std::move(exact));
  }
  save_both(plot, dir, "monte_carlo");
}

std::string result_line(const RunMetrics& m) {
  if (!std::isfinite(m.t_c)) return "T_c not yet available";
  return "T_c = " + fmt("%.4f", m.t_c) + " ± " + fmt("%.4f", m.t_c_error) + "  (" + m.exact_name +
         " " + fmt("%.6f", m.onsager) + ", deviation " + fmt("%.2f", m.deviation_percent) + "%, " +
         fmt("%.1f", std::abs(m.deviation_sigma)) + " σ)";
}

std::string figure_html(const std::string& name, const std::string& caption) {
  return "<figure><a href=\"" + name + ".svg\"><img src=\"" + name + ".png\" alt=\"" +
         xml_escape(caption) + "\"></a><figcaption>" + xml_escape(caption) + " (<a href=\"" + name +
         ".svg\">SVG</a>)</figcaption></figure>\n";
}

std::string index_html(const RunMetrics& m, bool running) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Live view: the running study rewrites this page; the final page has no refresh.
  if (running) h << "<meta http-equiv=\"refresh\" content=\"10\">\n";
  h << "<title>Ising phase transition: " << xml_escape(result_line(m)) << "</title>\n"
    << "<style>\n"
       "body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:1.5em auto;"
       "padding:0 1em;color:#222}\n"
       ".result{font-size:1.3em;font-weight:bold;padding:.6em;background:#eef4fa;"
       "border-left:4px solid #0072b2}\n"
       ".running{color:#a35a00;font-weight:bold}\n"
       "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;"
       "padding:.25em .7em;text-align:right}th{background:#f2f2f2}\n"
       "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}\n"
       "</style>\n</head>\n<body>\n<h1>Ising phase transition with a CNN</h1>\n";
  if (running) h << "<p class=\"running\">Run in progress: this page reloads every 10 s.</p>\n";
  h << "<p class=\"result\">" << xml_escape(result_line(m)) << "</p>\n";
  h << "<h2>Crossing temperatures</h2>\n<table>\n<tr><th>L</th><th>T*(L)</th><th>error</th>"
       "<th>test accuracy outside the band</th><th>generate (s)</th><th>train (s)</th></tr>\n";
  for (const auto& s : m.sizes)
    h << "<tr><td>" << s.L << "</td><td>" << fmt("%.4f", s.t_star) << "</td><td>"
      << fmt("%.4f", s.t_star_error) << "</td><td>" << fmt("%.4f", s.test_accuracy) << "</td><td>"
      << fmt("%.1f", s.generate_seconds) << "</td><td>" << fmt("%.1f", s.train_seconds)
      << "</td></tr>\n";
  h << "<tr><td>∞ (fit)</td><td>" << fmt("%.4f", m.t_c) << "</td><td>" << fmt("%.4f", m.t_c_error)
    << "</td><td colspan=\"3\">slope a = " << fmt("%.3f", m.slope) << "</td></tr>\n</table>\n";
  h << "<p>ν = " << fmt("%.3f", m.nu) << " ± " << fmt("%.3f", m.nu_error)
    << " from the data collapse (exact 2D Ising: ν = 1).</p>\n";
  h << "<h2>Plots</h2>\n"
    << figure_html("p_ordered", "P(ordered) vs temperature per lattice size")
    << figure_html("crossing", "Crossing T*(L) vs 1/L with the extrapolation to L = ∞")
    << figure_html("collapse", "Data collapse of P(ordered)(T, L) with the fitted T_c and ν")
    << figure_html("training", "Training and validation loss per epoch")
    << figure_html("monte_carlo", "Energy per spin from Monte Carlo and Onsager's exact result");
  h << "<h2>Run configuration</h2>\n<table>\n";
  std::string sizes, temps = "n/a";
  for (const auto& s : m.sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(s.L);
  if (!m.sizes.empty() && !m.sizes[0].temperatures.empty()) {
    const auto& t = m.sizes[0].temperatures;
    temps = std::to_string(t.size()) + " from " +
            fmt("%.3f", *std::min_element(t.begin(), t.end())) + " to " +
            fmt("%.3f", *std::max_element(t.begin(), t.end()));
  }
  const auto row = [&](const std::string& k, const std::string& v) {
    h << "<tr><th>" << xml_escape(k) << "</th><td>" << xml_escape(v) << "</td></tr>\n";
  };
  row("lattice sizes L", sizes.empty() ? "n/a" : sizes);
  row("temperatures", temps);
  row("epochs", m.sizes.empty() ? "n/a" : std::to_string(m.sizes[0].epoch.size()));
  row("seed", fmt("%.0f", m.seed));
  row("total time (s)", fmt("%.1f", m.seconds));
  for (const auto& [key, value] : m.config) row(key, value);
  h << "</table>\n<p>Data: <a href=\"metrics.json\">metrics.json</a>, "
       "<a href=\"p_ordered.csv\">p_ordered.csv</a>.</p>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace

double exact_ising_energy_per_spin(double temperature) {
  PHYSCNN_CHECK_ARG(temperature > 0 && std::isfinite(temperature),
                    "exact_ising_energy_per_spin: temperature must be positive, got ", temperature);
  const double beta2 = 2.0 / temperature;
  const double kappa = 2 * std::sinh(beta2) / (std::cosh(beta2) * std::cosh(beta2));
  const double th = std::tanh(beta2);
  const double prefactor = 2 * th * th - 1;
  // K(κ) diverges logarithmically as κ -> 1 (at T_c) while the prefactor vanishes linearly.
  const double k_term = std::abs(prefactor) < 1e-13 ? 0 : prefactor * elliptic_k(kappa);
  return -(1 / th) * (1 + 2 / M_PI * k_term);
}

void write_ising_report(const std::string& run_dir) {
  const std::string path = run_dir + "/metrics.json";
  const RunMetrics m = read_metrics(path);
  plot_p_ordered(m, run_dir);
  plot_crossing(m, run_dir);
  plot_collapse(m, run_dir);
  plot_training(m, run_dir);
  plot_monte_carlo(m, run_dir);
  const bool running = std::filesystem::exists(run_dir + "/RUNNING");
  const std::string html = index_html(m, running);
  io::write_file_atomic(run_dir + "/index.html", [&](std::ostream& out) { out << html; });
}

}  // namespace physcnn::viz

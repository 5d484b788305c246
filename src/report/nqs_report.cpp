// The report page of a `physcnn nqs` run folder.
#include "report/nqs_report.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "report/html.hpp"
#include "report/run_data.hpp"
#include "viz/line_plot.hpp"

namespace physcnn::report {

namespace fs = std::filesystem;

namespace {

struct EnergyRow {
  double iteration, energy, error, variance, acceptance, seconds;
};

std::vector<EnergyRow> read_energy_csv(const std::string& path) {
  std::ifstream in(path);
  PHYSCNN_CHECK(in.good(), IoError, "report: cannot read ", path);
  std::string line;
  std::getline(in, line);
  PHYSCNN_CHECK(line.rfind("iteration,energy_per_site,error_per_site", 0) == 0, IoError,
                "report: ", path, " does not start with the nqs header, found '", line, "'");
  std::vector<EnergyRow> rows;
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    EnergyRow r{};
    const int got = std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf", &r.iteration, &r.energy,
                                &r.error, &r.variance, &r.acceptance, &r.seconds);
    PHYSCNN_CHECK(got == 6, IoError, "report: ", path, ":", number, ": expected 6 numbers, found '",
                  line, "'");
    rows.push_back(r);
  }
  return rows;
}

double number(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j.at(key).is_number() ? j.at(key).get<double>() : NAN;
}

std::string fmt(double v, const char* format) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

bool is_nqs_run(const std::string& run_dir) {
  return fs::exists(run_dir + "/energy.csv") && !fs::exists(run_dir + "/metrics.json");
}

ReportResult write_nqs_report(const std::string& run_dir, const ReportOptions& options) {
  ReportResult r;
  r.index = run_dir + "/index.html";
  r.running = fs::exists(run_dir + "/RUNNING");
  fs::create_directories(run_dir + "/report");
  const std::vector<EnergyRow> rows = read_energy_csv(run_dir + "/energy.csv");
  nlohmann::json result;
  const bool has_result = fs::exists(run_dir + "/result.json");
  if (has_result) {
    std::ifstream in(run_dir + "/result.json");
    try {
      result = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw IoError("report: " + run_dir + "/result.json is not valid JSON: " + e.what());
    }
  }
  const double exact = number(result, "exact_per_site");
  const std::string exact_label =
      result.contains("exact_source") && result.at("exact_source").is_string()
          ? result.at("exact_source").get<std::string>()
          : "exact";

  auto save = [&](const viz::Figure& fig, const std::string& name, const std::string& caption) {
    for (const char* ext : {".png", ".svg"}) r.pictures.push_back("report/" + name + ext);
    fig.save_png(run_dir + "/report/" + name + ".png");
    fig.save_svg(run_dir + "/report/" + name + ".svg");
    return html::figure("report/" + name + ".png", "report/" + name + ".svg", caption);
  };
  std::string body = "<h2 id=\"energy\">Energy</h2>\n";
  if (rows.empty()) {
    r.notes.push_back("energy.csv has no iterations yet.");
    body += html::note(r.notes.back());
  } else {
    body += "<div class=\"grid\">\n";
    viz::PlotOptions po;
    po.title = "energy per site";
    po.x_label = "iteration";
    po.y_label = "E / N";
    po.integer_x = true;
    viz::Series s;
    s.label = result.contains("ansatz") ? result.at("ansatz").get<std::string>() : "NQS";
    s.style = viz::SeriesStyle::Lines;
    for (const EnergyRow& row : rows) {
      s.x.push_back(row.iteration);
      s.y.push_back(row.energy);
    }
    viz::LinePlot energy(po);
    energy.add(s);
    if (std::isfinite(exact)) energy.add_reference({exact, exact_label, false});
    body += save(energy, "energy", "Energy per site against iteration, with the exact line");
    if (std::isfinite(exact)) {
      viz::PlotOptions pe = po;
      pe.title = "distance to the exact energy";
      pe.y_label = "|E/N - exact| / |exact|";
      pe.log_y = true;
      viz::Series d;
      d.label = "relative error";
      d.style = viz::SeriesStyle::Lines;
      for (const EnergyRow& row : rows)
        if (std::fabs(row.energy - exact) > 0) {
          d.x.push_back(row.iteration);
          d.y.push_back(std::fabs((row.energy - exact) / exact));
        }
      if (!d.x.empty()) {
        viz::LinePlot error(pe);
        error.add(d);
        body += save(error, "error", "Relative distance to the exact energy (log scale)");
      }
    }
    body += "</div>\n";
  }
  std::string headline;
  body += "<h2 id=\"result\">Final estimate</h2>\n";
  if (has_result) {
    std::vector<std::pair<std::string, double>> kv;
    for (const char* key :
         {"parameters", "energy_per_site", "error_per_site", "exact_per_site", "relative_error",
          "variance", "acceptance", "autocorrelation_sweeps", "s_pipi", "s_pipi_exact", "seconds"})
      if (std::isfinite(number(result, key))) kv.emplace_back(key, number(result, key));
    body += html::key_values(kv);
    headline = "E/N " + fmt(number(result, "energy_per_site"), "%.8f") + " +- " +
               fmt(number(result, "error_per_site"), "%.8f");
    if (std::isfinite(exact))
      headline += ", " + exact_label + " " + fmt(exact, "%.8f") + ", rel. error " +
                  fmt(number(result, "relative_error"), "%.3g");
  } else {
    r.notes.push_back("No result.json: the run is going on or was stopped before its end.");
    body += html::note(r.notes.back());
    if (!rows.empty())
      headline = "iteration " + fmt(rows.back().iteration, "%.0f") + ", E/N " +
                 fmt(rows.back().energy, "%.8f");
  }
  std::string config;
  if (fs::exists(run_dir + "/study.toml"))
    config = html::preformatted("study.toml", read_text(run_dir + "/study.toml"));
  else
    config = html::note("No study.toml in the run folder.");
  std::vector<std::string> files;
  for (const char* f : {"energy.csv", "result.json", "study.toml", "checkpoint.txt"})
    if (fs::exists(run_dir + "/" + f)) files.push_back(f);
  const html::Page page{.title = run_name(run_dir),
                        .headline = headline,
                        .running = r.running,
                        .refresh_seconds = options.refresh_seconds,
                        .summary = "",
                        .body = body,
                        .config = config,
                        .files = files};
  const std::string text = html::render(page);
  io::write_file_atomic(r.index, [&](std::ostream& out) { out << text; });
  return r;
}

}  // namespace physcnn::report

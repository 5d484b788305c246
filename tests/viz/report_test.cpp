// Tests of the Ising run report: plots and index.html from a synthetic metrics.json, the live
// reload switch, error reporting for bad metrics files, and the local exact energy.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "viz/ising_report.hpp"
#include "viz_support.hpp"

namespace physcnn::viz {
namespace {

using test::read_file;
using test::read_png_info;
using test::ScratchDir;
using test::xml_problem;

const double kTc = 2.0 / std::log(1.0 + std::sqrt(2.0));

// A metrics.json shaped like physics/ising_study/study.cpp writes it, for L = 8 and 16.
nlohmann::json synthetic_metrics() {
  nlohmann::json j;
  j["T_c"] = 2.271;
  j["T_c_error"] = 0.012;
  j["slope"] = 0.35;
  j["chi2"] = 0.4;
  j["onsager_T_c"] = kTc;
  j["deviation_percent"] = 100 * (2.271 - kTc) / kTc;
  j["deviation_sigma"] = (2.271 - kTc) / 0.012;
  j["seconds"] = 12.5;
  j["seed"] = 1;
  j["config"] = {{"configs_per_temperature", 96}, {"augment", true}};
  for (int L : {8, 16}) {
    nlohmann::json s;
    s["L"] = L;
    std::vector<double> t, p, e;
    for (int i = 0; i < 16; ++i) {
      t.push_back(1.0 + i * 2.5 / 15);
      p.push_back(1 / (1 + std::exp(L * 0.5 * (t.back() - (kTc + 0.35 / L)))));
      e.push_back(0.02);
    }
    s["temperatures"] = t;
    s["p_ordered"] = p;
    s["p_error"] = e;
    s["crossing"] = {{"T_star", kTc + 0.35 / L},
                     {"error", 0.01},
                     {"fit_error", 0.008},
                     {"chi2", 1.1},
                     {"points", 6}};
    s["test_accuracy_outside_band"] = 0.97;
    s["generate_seconds"] = 2.0;
    s["train_seconds"] = 3.0;
    for (int ep = 1; ep <= 4; ++ep)
      s["history"].push_back({{"epoch", ep},
                              {"train_loss", 0.6 / ep + 0.002 * L},
                              {"train_accuracy", 0.9},
                              {"val_loss", 0.3 + 0.02 * ep + 0.002 * L},
                              {"val_accuracy", 0.88},
                              {"seconds", 0.5}});
    for (double T : {1.5, 2.0, 2.3, 2.6, 3.2})
      s["monte_carlo"].push_back({{"T", T},
                                  {"energy", exact_ising_energy_per_spin(T) + 0.01},
                                  {"energy_error", 0.005},
                                  {"abs_magnetisation", 0.5},
                                  {"abs_magnetisation_error", 0.01},
                                  {"specific_heat", 1.0},
                                  {"tau_energy", 2.0},
                                  {"tau_abs_magnetisation", 5.0},
                                  {"equilibration_sweeps", 100},
                                  {"spacing_sweeps", 10}});
    j["sizes"].push_back(s);
  }
  return j;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

const char* kPlots[] = {"p_ordered", "crossing", "training", "monte_carlo"};

TEST(IsingReport, WritesPlotsAndIndexFromMetrics) {
  ScratchDir dir("report");
  write_text(dir / "metrics.json", synthetic_metrics().dump(2));
  write_ising_report(dir.path());
  for (const char* name : kPlots) {
    SCOPED_TRACE(name);
    const auto info = read_png_info(dir / (std::string(name) + ".png"));
    EXPECT_TRUE(info.signature_ok);
    EXPECT_EQ(info.width, 800u);
    EXPECT_EQ(info.height, 500u);
    const std::string svg = read_file(dir / (std::string(name) + ".svg"));
    ASSERT_FALSE(svg.empty());
    EXPECT_EQ(xml_problem(svg), "");
  }
  const std::string p_svg = read_file(dir / "p_ordered.svg");
  for (const char* s : {"temperature T (J/k_B)", "P(ordered)", "L = 8", "L = 16", "Onsager T_c"})
    EXPECT_NE(p_svg.find(s), std::string::npos) << s;
  EXPECT_NE(read_file(dir / "crossing.svg").find("inverse lattice size 1/L"), std::string::npos);
  EXPECT_NE(read_file(dir / "training.svg").find("L = 16 validation"), std::string::npos);
  EXPECT_NE(read_file(dir / "monte_carlo.svg").find("Onsager, L = ∞"), std::string::npos);

  const std::string html = read_file(dir / "index.html");
  EXPECT_NE(html.find("T_c = 2.2710 ± 0.0120"), std::string::npos);
  EXPECT_NE(html.find("Onsager 2.269185"), std::string::npos);
  char t_star_8[16];
  std::snprintf(t_star_8, sizeof t_star_8, "%.4f", kTc + 0.35 / 8);
  EXPECT_NE(html.find(std::string("<td>8</td><td>") + t_star_8), std::string::npos);
  for (const char* name : kPlots)
    EXPECT_NE(html.find(std::string("src=\"") + name + ".png\""), std::string::npos) << name;
  // Self-contained: nothing fetched from the network.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("refresh"), std::string::npos);  // no RUNNING file: a final page
  EXPECT_NE(html.find("<th>configs_per_temperature</th><td>96</td>"), std::string::npos);
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(IsingReport, ReloadsOnlyWhileRunning) {
  ScratchDir dir("report_live");
  write_text(dir / "metrics.json", synthetic_metrics().dump());
  write_text(dir / "RUNNING", "");
  write_ising_report(dir.path());
  EXPECT_NE(read_file(dir / "index.html").find("<meta http-equiv=\"refresh\" content=\"10\">"),
            std::string::npos);
  std::filesystem::remove(dir / "RUNNING");
  write_ising_report(dir.path());
  EXPECT_EQ(read_file(dir / "index.html").find("refresh"), std::string::npos);
}

TEST(IsingReport, ToleratesMissingNumbersOfARunInProgress) {
  ScratchDir dir("report_partial");
  nlohmann::json j = synthetic_metrics();
  j.erase("T_c");
  j.erase("slope");
  j["sizes"][1]["crossing"]["error"] = nullptr;  // how nlohmann writes NaN
  j["sizes"][0].erase("monte_carlo");
  write_text(dir / "metrics.json", j.dump());
  write_ising_report(dir.path());
  EXPECT_NE(read_file(dir / "index.html").find("T_c not yet available"), std::string::npos);
  EXPECT_TRUE(read_png_info(dir / "crossing.png").signature_ok);
}

void expect_io_error_naming(const std::string& run_dir, const std::string& needle) {
  try {
    write_ising_report(run_dir);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(run_dir + "/metrics.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(IsingReport, MissingOrCorruptMetricsThrowIoErrorNamingTheFile) {
  ScratchDir dir("report_bad");
  expect_io_error_naming(dir.path(), "cannot open");
  write_text(dir / "metrics.json", synthetic_metrics().dump().substr(0, 200));  // truncated
  expect_io_error_naming(dir.path(), "not a valid metrics file");
  write_text(dir / "metrics.json", "{\"T_c\": 2.27}");
  expect_io_error_naming(dir.path(), "no \"sizes\" array");
  nlohmann::json j = synthetic_metrics();
  j["sizes"][0]["p_ordered"] = "high";
  write_text(dir / "metrics.json", j.dump());
  expect_io_error_naming(dir.path(), "not a valid metrics file");
  j = synthetic_metrics();
  j["sizes"][0]["p_ordered"].erase(0);
  write_text(dir / "metrics.json", j.dump());
  expect_io_error_naming(dir.path(), "16 temperatures, 15 p_ordered");
  // Nothing half-written next to the bad file.
  EXPECT_FALSE(std::filesystem::exists(dir / "index.html"));
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(ExactEnergy, MatchesKnownLimits) {
  // At T_c the energy is -√2 (Onsager 1944) and the function is continuous there.
  EXPECT_NEAR(exact_ising_energy_per_spin(kTc), -std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(exact_ising_energy_per_spin(kTc * (1 - 1e-7)), -std::sqrt(2.0), 1e-4);
  EXPECT_NEAR(exact_ising_energy_per_spin(kTc * (1 + 1e-7)), -std::sqrt(2.0), 1e-4);
  // Low temperature: ln Z/N = 2β + e^{-8β} + 2e^{-12β} + O(e^{-16β}) (one flipped spin breaks
  // 4 bonds, a flipped pair 6), so u = -2 + 8e^{-8β} + 24e^{-12β} + O(e^{-16β}).
  EXPECT_NEAR(exact_ising_energy_per_spin(1.0), -2 + 8 * std::exp(-8.0) + 24 * std::exp(-12.0),
              1e-5);
  // High temperature: ln Z/N = ln 2 + 2 ln cosh β + t⁴ + 2t⁶ + O(t⁸), t = tanh β (closed
  // graphs: the plaquette and the 1x2 rectangle), so u = -2t - (4t³ + 12t⁵)(1 - t²) + O(t⁷).
  const double t = std::tanh(1 / 10.0);
  EXPECT_NEAR(exact_ising_energy_per_spin(10.0),
              -2 * t - (4 * t * t * t + 12 * std::pow(t, 5)) * (1 - t * t), 1e-5);
  // Monotonic increase with temperature (the specific heat is positive).
  double prev = -2;
  for (double T = 0.5; T < 5; T += 0.05) {
    const double u = exact_ising_energy_per_spin(T);
    EXPECT_GT(u, prev) << "T = " << T;
    prev = u;
  }
  EXPECT_THROW(exact_ising_energy_per_spin(0), UsageError);
}

}  // namespace
}  // namespace physcnn::viz

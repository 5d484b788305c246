// The report page of an nqs run folder: the pictures and the headline from energy.csv and
// result.json, a page while the run goes on (no result.json), and malformed files named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "report/nqs_report.hpp"

namespace fs = std::filesystem;

namespace {

std::string make_run(const std::string& name, bool with_result) {
  const std::string dir = (fs::temp_directory_path() / ("physcnn_nqs_report_" + name)).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir + "/energy.csv")
      << "iteration,energy_per_site,error_per_site,variance,acceptance,seconds\n"
      << "1,-0.60,0.01,0.5,0.5,1.0\n2,-0.69,0.001,0.1,0.4,2.0\n3,-0.7010,0.0002,0.02,0.4,3.0\n";
  if (with_result)
    std::ofstream(dir + "/result.json")
        << R"J({"ansatz": "cnn 8 kernel 3 tanh", "parameters": 100, "energy_per_site": -0.7015,)J"
        << R"J( "error_per_site": 0.0001, "exact_per_site": -0.70178020,)J"
        << R"J( "exact_source": "exact (ED)", "relative_error": 0.0004, "s_pipi": null})J";
  return dir;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(NqsReport, EnergyCurveExactLineAndFinalEstimate) {
  const std::string dir = make_run("done", true);
  ASSERT_TRUE(physcnn::report::is_nqs_run(dir));
  const auto r = physcnn::report::write_run_report(dir);
  EXPECT_EQ(r.pictures.size(), 4u);  // energy and error, PNG and SVG
  for (const auto& p : r.pictures) EXPECT_GT(fs::file_size(dir + "/" + p), 100u) << p;
  const std::string page = slurp(r.index);
  EXPECT_NE(page.find("E/N -0.70150000 +- 0.00010000, exact (ED) -0.70178020"), std::string::npos);
  EXPECT_NE(page.find("relative_error"), std::string::npos);
  fs::remove_all(dir);
}

TEST(NqsReport, RunningRunHasANoteInsteadOfTheEstimate) {
  const std::string dir = make_run("running", false);
  const auto r = physcnn::report::write_nqs_report(dir);
  EXPECT_EQ(r.pictures.size(), 2u);  // no exact value: no error curve
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("No result.json"), std::string::npos);
  EXPECT_NE(slurp(r.index).find("iteration 3, E/N -0.70100000"), std::string::npos);
  fs::remove_all(dir);
}

TEST(NqsReport, MalformedFilesAreNamed) {
  const std::string dir = make_run("bad", true);
  std::ofstream(dir + "/energy.csv", std::ios::app) << "4,abc\n";
  try {
    physcnn::report::write_nqs_report(dir);
    ADD_FAILURE() << "accepted a bad row";
  } catch (const physcnn::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("energy.csv:5"), std::string::npos) << e.what();
  }
  make_run("bad", true);
  std::ofstream(dir + "/result.json") << "{not json";
  EXPECT_THROW(physcnn::report::write_nqs_report(dir), physcnn::IoError);
  fs::remove_all(dir);
}

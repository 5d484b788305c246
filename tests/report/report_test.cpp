// The run report from a small real run folder: every picture written and linked, the page
// self-contained, live reload only while RUNNING exists, notes for missing parts, and errors
// naming the file for corrupt ones.
#include "report/report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/formats/npz.hpp"
#include "report/pictures.hpp"
#include "report/run_data.hpp"
#include "report/run_folder.hpp"
#include "support/throws.hpp"

using namespace physcnn;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Width and height from a PNG's IHDR chunk; {0, 0} when the file is not a PNG.
std::pair<int, int> png_size(const std::string& path) {
  const std::string b = slurp(path);
  if (b.size() < 24 || b.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](size_t i) {
    return (uint8_t(b[i]) << 24) | (uint8_t(b[i + 1]) << 16) | (uint8_t(b[i + 2]) << 8) |
           uint8_t(b[i + 3]);
  };
  return {static_cast<int>(be32(16)), static_cast<int>(be32(20))};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(RunReport, BuildsEveryPictureFromARealRun) {
  const std::string dir = test::fresh_dir("full");
  test::make_run_folder(dir);
  const auto r = report::write_run_report(dir, {.model = test::make_run_model(true)});
  EXPECT_FALSE(r.running);
  for (const char* p : {"report/loss.png", "report/loss.svg", "report/metric_accuracy.png",
                        "report/lr.png", "report/throughput.png", "report/confusion.png",
                        "report/filters_features.0.png", "report/filters_features.3.png",
                        "report/inputs.png", "report/saliency.png", "report/cam.png"})
    EXPECT_TRUE(contains(r.pictures, p)) << p;
  EXPECT_GE(std::count_if(r.pictures.begin(), r.pictures.end(),
                          [](const auto& p) { return p.rfind("report/features_", 0) == 0; }),
            4);
  const std::string html = slurp(r.index);
  for (const auto& p : r.pictures) {
    EXPECT_NE(html.find("\"" + p + "\""), std::string::npos) << "not linked: " << p;
    if (p.ends_with(".png")) {
      const auto [w, h] = png_size(dir + "/" + p);
      EXPECT_GT(w, 100) << p;
      EXPECT_GT(h, 100) << p;
    }
  }
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
  // Self-contained: nothing fetched from the network, no reload for a finished run.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("http-equiv=\"refresh\""), std::string::npos);
  // The summary, the configuration and the CAM method are on the page.
  EXPECT_NE(html.find("features.0 (Conv2d)"), std::string::npos);
  EXPECT_NE(html.find("model = &quot;ising_cnn&quot;"), std::string::npos);
  EXPECT_NE(html.find("CAM: each position"), std::string::npos);
  EXPECT_NE(html.find("disordered"), std::string::npos);
}

TEST(RunReport, FilterPictureHasTheGridGeometry) {
  // ising_cnn's first conv: 16 filters of 1 input channel -> a 4 x 4 grid of 64-pixel cells
  // (ImageGrid: margins 16, title 40, caption 18, gap 10, colour bar 80).
  auto model = test::make_run_model(true);
  model->build({1, 8, 8});
  const Tensor w = model->named_parameters().front().second.value();
  ASSERT_EQ(w.shape(), Shape({16, 1, 3, 3}));
  const auto grid = report::filter_grid("features.0", w);
  EXPECT_EQ(grid.width(), 2 * 16 + 4 * (64 + 10) + 80);
  EXPECT_EQ(grid.height(), 2 * 16 + 40 + 4 * (64 + 18 + 10));
  const std::string path = test::fresh_dir("filters") + "/f.png";
  report::save_figure(grid, path);
  EXPECT_EQ(png_size(path), std::make_pair(grid.width(), grid.height()));
  // A large layer is cut to the first 16 x 8 filters, one row per output channel.
  const auto big = report::filter_grid("big", Tensor::zeros({64, 16, 3, 3}));
  EXPECT_EQ(big.width(), 2 * 16 + 8 * (40 + 10) + 80);
  EXPECT_EQ(big.height(), 2 * 16 + 40 + 16 * (40 + 18 + 10));
  test::expect_error<UsageError>([&] { report::save_figure(grid, path + ".jpg"); },
                                 {"save_figure", ".jpg", ".png or .svg"});
}

TEST(RunReport, GradCamForAModelWithoutGlobalPooling) {
  const std::string dir = test::fresh_dir("gradcam");
  test::make_run_folder(dir, {.gap_head = false, .epochs = 2});
  const auto r = report::write_run_report(dir, {.model = test::make_run_model(false)});
  EXPECT_TRUE(contains(r.pictures, "report/cam.png"));
  EXPECT_NE(slurp(r.index).find("Grad-CAM at 0"), std::string::npos);
}

TEST(RunReport, LiveViewWhileRunning) {
  const std::string dir = test::fresh_dir("running");
  test::make_run_folder(dir, {.running = true, .epochs = 1});
  const auto r =
      report::write_run_report(dir, {.model = test::make_run_model(true), .refresh_seconds = 7});
  EXPECT_TRUE(r.running);
  const std::string html = slurp(r.index);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"7\">"), std::string::npos);
  EXPECT_NE(html.find("Run in progress"), std::string::npos);
}

TEST(RunReport, MissingPartsLeaveNotes) {
  const std::string dir = test::fresh_dir("empty");
  auto r = report::write_run_report(dir);
  EXPECT_TRUE(r.pictures.empty());
  ASSERT_EQ(r.notes.size(), 4u);
  EXPECT_NE(r.notes[0].find("No metrics.json"), std::string::npos);
  EXPECT_NE(r.notes[1].find("No eval.json"), std::string::npos);
  EXPECT_NE(r.notes[2].find("No model given"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/index.html"));
  // A model but no weights and no samples yet.
  std::ofstream(dir + "/metrics.json") << R"({"task": "classification", "epochs": []})";
  r = report::write_run_report(dir, {.model = test::make_run_model(true)});
  EXPECT_NE(r.notes[0].find("no epochs yet"), std::string::npos);
  EXPECT_NE(r.notes[2].find("No model.safetensors yet"), std::string::npos);
}

TEST(RunReport, CorruptFilesAreErrorsNamingTheFile) {
  test::expect_error<IoError>([] { report::write_run_report("/nonexistent/run7"); },
                              {"run folder", "/nonexistent/run7", "does not exist"});
  const std::string dir = test::fresh_dir("corrupt");
  std::ofstream(dir + "/metrics.json") << "{\"epochs\": [ {\"epoch\": 1, \"train_loss\": ";
  test::expect_error<IoError>([&] { report::write_run_report(dir); },
                              {"metrics.json", "not valid JSON"});
  std::ofstream(dir + "/metrics.json") << R"({"epochs": [{"epoch": 1, "train_loss": "low"}]})";
  test::expect_error<IoError>([&] { report::write_run_report(dir); },
                              {"metrics.json", "epochs[0].train_loss", "not a number"});
  fs::remove(dir + "/metrics.json");
  std::ofstream(dir + "/eval.json") << R"({"confusion": [[1, 2], [3]]})";
  test::expect_error<IoError>([&] { report::write_run_report(dir); },
                              {"eval.json", "confusion row 1", "2 numbers"});
  fs::remove(dir + "/eval.json");
  std::ofstream(dir + "/samples.npz") << "PK this is no zip";
  test::expect_error<IoError>([&] { report::write_run_report(dir); }, {"samples.npz"});
}

TEST(RunReport, WeightsThatDoNotFitNameTheFile) {
  const std::string dir = test::fresh_dir("mismatch");
  test::make_run_folder(dir, {.epochs = 1});
  test::expect_error<UsageError>(
      [&] { report::write_run_report(dir, {.model = test::make_run_model(false)}); },
      {"model.safetensors", "does not fit the model"});
}

TEST(RunReport, SamplesThatDoNotFitNameTheFile) {
  const std::string dir = test::fresh_dir("bad_samples");
  test::make_run_folder(dir, {.epochs = 1});
  data::write_npz(dir + "/samples.npz",
                  {{"x", data::Array::from_tensor(Tensor::zeros({2, 3, 8, 8}))}});
  test::expect_error<ShapeError>(
      [&] { report::write_run_report(dir, {.model = test::make_run_model(true)}); },
      {"samples.npz", "[2,3,8,8]", "do not fit the model", "features.0 (Conv2d)"});
}

TEST(RunReport, RegressionSamplesWithFloatTargetsAreAccepted) {
  // A regression run's samples.npz holds y (n, outputs) float32; the report used to refuse it
  // ("y must be (n)"), so `physcnn report` failed on every regression run.
  const std::string dir = test::fresh_dir("regression_samples");
  test::make_run_folder(dir, {.epochs = 1});
  data::write_npz(dir + "/samples.npz",
                  {{"x", data::Array::from_tensor(Tensor::zeros({2, 1, 8, 8}))},
                   {"y", data::Array::from_tensor(Tensor::zeros({2, 1}))}});
  const report::Samples s = report::read_samples(dir + "/samples.npz");
  EXPECT_EQ(s.x.size(0), 2);
  EXPECT_TRUE(s.y.empty());
  EXPECT_NO_THROW(report::write_run_report(dir, {.model = test::make_run_model(true)}));
  // Integer labels of the wrong shape are still an error naming the file.
  data::write_npz(dir + "/samples.npz",
                  {{"x", data::Array::from_tensor(Tensor::zeros({2, 1, 8, 8}))},
                   {"y", data::Array::zeros(data::ElemType::I64, Shape{3})}});
  test::expect_error<IoError>([&] { report::read_samples(dir + "/samples.npz"); },
                              {"samples.npz", "y must be (n) with n = 2"});
}

// Issue 18, item 4: a confusion matrix of thousands of classes took 9 GB to draw (3000
// classes); above 100 classes the report says so instead of drawing it.
TEST(RunReport, HugeConfusionMatrixIsNotDrawn) {
  const std::string dir = test::fresh_dir("many_classes");
  const int classes = 300;
  std::string cm = "[";
  for (int t = 0; t < classes; ++t) {
    cm += t ? ",[" : "[";
    for (int p = 0; p < classes; ++p) cm += std::string(p ? "," : "") + (p == t ? "3" : "0");
    cm += "]";
  }
  cm += "]";
  std::ofstream(dir + "/eval.json") << R"({"task": "classification", "accuracy": 1.0, )"
                                    << R"("confusion_matrix": )" << cm << "}";
  const auto r = report::write_run_report(dir);
  bool drawn = false;
  for (const auto& p : r.pictures) drawn |= p.find("confusion") != std::string::npos;
  EXPECT_FALSE(drawn);
  bool noted = false;
  for (const auto& n : r.notes)
    noted |= n.find("(300 classes) is not drawn above 100 classes") != std::string::npos;
  EXPECT_TRUE(noted);
}

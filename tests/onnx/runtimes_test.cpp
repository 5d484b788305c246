// The exported files run in two independent runtimes and give physcnn's outputs: ONNX Runtime
// (onnxruntime-node, tools/onnxruntime/check.js) and OpenCV's dnn module (python3-opencv,
// tools/onnx/check_opencv.py), within 1e-5 of the largest output magnitude, on random inputs of
// a batch of 3. Every case of cases.cpp; OpenCV skips exactly the cases with a stated reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "autograd/var.hpp"
#include "data/formats/array.hpp"
#include "data/formats/npy.hpp"
#include "onnx/cases.hpp"
#include "onnx/export.hpp"
#include "tensor/ops.hpp"

namespace physcnn {
namespace {

namespace fs = std::filesystem;

// Writes every case as DIR/<name>/{model.onnx, x.npy, y.npy} and DIR/cases.tsv (name, OpenCV skip
// reason).
void write_cases(const fs::path& dir) {
  std::ofstream list(dir / "cases.tsv");
  Rng rng(2024);
  for (auto& c : test::onnx_cases()) {
    const fs::path d = dir / c.name;
    fs::create_directories(d);
    onnx_export::export_onnx(*c.model, c.input, (d / "model.onnx").string(),
                             {.fold_batch_norm = c.fold_batch_norm, .mean = c.mean, .std = c.std});
    std::vector<int64_t> dims{3};
    for (int64_t s : c.input) dims.push_back(s);
    const Tensor x = Tensor::normal(Shape(dims), 0.0, 1.0, rng);
    c.model->eval();
    autograd::NoGradGuard no_grad;
    Tensor xn = x.clone();  // what physcnn's data loader feeds the model behind the statistics
    for (size_t ch = 0; ch < c.mean.size(); ++ch) {
      Tensor plane = xn.select(1, int64_t(ch));
      plane.copy_(mul(add(plane, -c.mean[ch]), 1.0 / c.std[ch]));
    }
    const Tensor y = (*c.model)(autograd::Var(xn)).value().contiguous();
    data::write_npy((d / "x.npy").string(), data::Array::from_tensor(x));
    data::write_npy((d / "y.npy").string(), data::Array::from_tensor(y));
    list << c.name << '\t' << c.opencv_skip << '\n';
  }
}

int run(const std::string& command) {
  std::fprintf(stderr, "$ %s\n", command.c_str());
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string kSource = PHYSCNN_SOURCE_DIR;

// The cases are written once per process (both runtimes when the binary runs whole).
class OnnxRuntimes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One folder per process: ctest runs each test in its own process, maybe at the same time.
    dir_ = fs::path(::testing::TempDir()) / ("physcnn_onnx_runtimes_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_cases(dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static fs::path dir_;
};
fs::path OnnxRuntimes::dir_;

TEST_F(OnnxRuntimes, OnnxRuntimeMatchesPhyscnn) {
  const fs::path ort = fs::path(kSource) / "tools/onnxruntime/node_modules/onnxruntime-node";
  ASSERT_TRUE(fs::exists(ort)) << ort
                               << " is missing: run scripts/setup.sh (it runs `npm ci "
                                  "--ignore-scripts` in tools/onnxruntime)";
  EXPECT_EQ(run("node " + kSource + "/tools/onnxruntime/check.js " + dir_.string()), 0);
}

TEST_F(OnnxRuntimes, OpenCvDnnMatchesPhyscnn) {
  EXPECT_EQ(run("/usr/bin/python3 " + kSource + "/tools/onnx/check_opencv.py " + dir_.string()), 0);
}

}  // namespace
}  // namespace physcnn

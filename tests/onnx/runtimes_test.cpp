// The exported files run in two independent runtimes and give physcnn's outputs: ONNX Runtime
// (onnxruntime-node, tools/onnxruntime/check.js) and OpenCV's dnn module (python3-opencv,
// tools/onnx/check_opencv.py), within 1e-5 of the largest output magnitude, on random inputs of
// a batch of 3. Every case of cases.cpp; OpenCV skips exactly the cases with a stated reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "autograd/var.hpp"
#include "data/formats/array.hpp"
#include "data/formats/npy.hpp"
#include "onnx/cases.hpp"
#include "onnx/export.hpp"
#include "support/scratch_dir.hpp"

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
                             {.fold_batch_norm = c.fold_batch_norm});
    std::vector<int64_t> dims{3};
    for (int64_t s : c.input) dims.push_back(s);
    const Tensor x = Tensor::normal(Shape(dims), 0.0, 1.0, rng);
    c.model->eval();
    autograd::NoGradGuard no_grad;
    const Tensor y = (*c.model)(autograd::Var(x)).value().contiguous();
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

TEST(OnnxRuntimes, OnnxRuntimeMatchesPhyscnn) {
  const fs::path ort = fs::path(kSource) / "tools/onnxruntime/node_modules/onnxruntime-node";
  ASSERT_TRUE(fs::exists(ort)) << ort
                               << " is missing: run scripts/setup.sh (it runs `npm ci "
                                  "--ignore-scripts` in tools/onnxruntime)";
  test::ScratchDir dir;
  write_cases(dir.path());
  EXPECT_EQ(run("node " + kSource + "/tools/onnxruntime/check.js " + dir.path().string()), 0);
}

TEST(OnnxRuntimes, OpenCvDnnMatchesPhyscnn) {
  test::ScratchDir dir;
  write_cases(dir.path());
  EXPECT_EQ(
      run("/usr/bin/python3 " + kSource + "/tools/onnx/check_opencv.py " + dir.path().string()), 0);
}

}  // namespace
}  // namespace physcnn

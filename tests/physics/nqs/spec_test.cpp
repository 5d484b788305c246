// Study files: the shipped examples read, and mistakes are usage errors naming file and key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "physics/nqs/study.hpp"

namespace nqs = physcnn::physics::nqs;

TEST(NqsSpec, ExamplesRead) {
  int count = 0;
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(PHYSCNN_SOURCE_DIR) + "/examples/nqs")) {
    const nqs::NqsSpec s = nqs::read_nqs_spec(f.path().string());
    EXPECT_GE(s.iterations, 1) << f.path();
    ++count;
  }
  EXPECT_GE(count, 3);
  const nqs::NqsSpec s6 =
      nqs::read_nqs_spec(std::string(PHYSCNN_SOURCE_DIR) + "/examples/nqs/heisenberg_6x6.toml");
  EXPECT_EQ(s6.lx, 6);
  EXPECT_DOUBLE_EQ(s6.reference, -0.67887215);
  EXPECT_TRUE(s6.symmetric);
}

TEST(NqsSpec, MistakesNameTheKey) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "physcnn_nqs_spec_test.toml").string();
  auto expect_error = [&](const std::string& text, const std::string& needle) {
    std::ofstream(path) << text;
    try {
      nqs::read_nqs_spec(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const physcnn::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("[optimizer]\nlearning_rate = -1\n", "learning_rate");
  expect_error("[optimizer]\ntype = \"lbfgs\"\n", "optimizers are: sr, adam");
  expect_error("[optimizer]\nsolver = \"qr\"\n", "solvers are: auto, direct, cg");
  expect_error("[optimizer]\nbeta2 = 1.0\n", "'beta1' and 'beta2' must be in [0, 1)");
  expect_error("[optimizer]\nfinal_learning_rate = 0.0\n", "final_learning_rate");
  expect_error("[ansatz]\ntype = \"gcnn\"\n", "ansatz types are: rbm, cnn");
  expect_error("[ansatz]\ntype = \"cnn\"\nkernel = 2\n", "'kernel' must be odd");
  expect_error("[ansatz]\ntype = \"cnn\"\nchannels = []\n", "'channels' must be a non-empty");
  expect_error("[ansatz]\ntype = \"cnn\"\nchannels = [4, 0]\n", "'channels' entries");
  expect_error("[ansatz]\ntype = \"cnn\"\nchannels = [4.5]\n", "'channels' entries");
  expect_error("[ansatz]\nactivation = \"swish\"\n", "activations are: tanh");
  expect_error("[sampler]\nchains = 0\n", "chains");
  expect_error("iterations = 1.5\n", "iterations");
  expect_error("lattice = 3\n", "[lattice] must be a table");
  std::filesystem::remove(path);
}

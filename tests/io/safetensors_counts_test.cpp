// BatchNorm's num_batches_tracked is written as PyTorch stores it (int64, shape []), and weight
// files written before that (float32, shape []) still load (issue 19).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/safetensors.hpp"
#include "nn/layers.hpp"
#include "support/scratch_dir.hpp"

namespace physcnn::io {
namespace {

nlohmann::json header_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return nlohmann::json::parse(bytes.substr(8, n));
}

TEST(SafetensorsCounts, NumBatchesTrackedIsWrittenAsInt64Scalar) {
  test::ScratchDir dir;
  nn::BatchNorm2d bn;
  bn.build({2, 3, 3});
  bn.train();
  for (int i = 0; i < 3; ++i) bn(autograd::Var(Tensor::ones(Shape{2, 2, 3, 3})));
  const std::string path = dir.file("bn.safetensors");
  save_safetensors(path, bn.state_dict());
  const nlohmann::json h = header_of(path);
  EXPECT_EQ(h["num_batches_tracked"]["dtype"], "I64");
  EXPECT_EQ(h["num_batches_tracked"]["shape"], nlohmann::json::array());
  EXPECT_EQ(h["running_mean"]["dtype"], "F32");
  const TensorFile f = load_safetensors(path);
  EXPECT_EQ(f.tensors.at("num_batches_tracked").item(), 3.0);
  nn::BatchNorm2d again;
  again.build({2, 3, 3});
  again.load_state_dict(f.tensors);
  EXPECT_EQ(again.state_dict().at("num_batches_tracked").item(), 3.0);
}

TEST(SafetensorsCounts, OldFloat32CountsStillLoad) {
  test::ScratchDir dir;
  nn::BatchNorm2d bn;
  bn.build({2, 3, 3});
  std::map<std::string, Tensor> old = bn.state_dict();
  old["num_batches_tracked"] = Tensor::scalar(5.0, DType::F32);
  // Written the old way: every tensor as float32, the count included.
  std::string header = "{", data;
  for (const auto& [k, t] : old) {
    const std::vector<double> v = t.to_vector();
    const size_t start = data.size();
    for (double x : v) {
      const float f = float(x);
      data.append(reinterpret_cast<const char*>(&f), 4);
    }
    header += (header.size() > 1 ? "," : "") + std::string("\"") + k +
              "\":{\"dtype\":\"F32\",\"shape\":" + nlohmann::json(t.shape().dims()).dump() +
              ",\"data_offsets\":[" + std::to_string(start) + "," + std::to_string(data.size()) +
              "]}";
  }
  header += "}";
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  const TensorFile f = parse_safetensors(bytes + header + data, "old.safetensors");
  nn::BatchNorm2d again;
  again.build({2, 3, 3});
  again.load_state_dict(f.tensors);
  EXPECT_EQ(again.state_dict().at("num_batches_tracked").item(), 5.0);
}

}  // namespace
}  // namespace physcnn::io

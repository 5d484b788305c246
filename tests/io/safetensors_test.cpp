// Safetensors: round trip, atomic replace, and hostile files that must fail cleanly.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("physcnn_io_" + name)).string();
}

// A file from a header text and a data section.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

void expect_io_error(const std::string& bytes, const std::string& needle) {
  try {
    io::parse_safetensors(bytes, "test.safetensors");
    FAIL() << "accepted a broken file; expected an error mentioning '" << needle << "'";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.safetensors"), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Safetensors, RoundTripF32F64AndMetadata) {
  Rng rng(3);
  std::map<std::string, Tensor> in{{"features.0.weight", Tensor::normal({6, 1, 5, 5}, 0, 1, rng)},
                                   {"features.0.bias", Tensor::normal({6}, 0, 1, rng, DType::F64)},
                                   {"scalar", Tensor::scalar(2.5)}};
  const std::string path = temp_path("rt.safetensors");
  io::save_safetensors(path, in, {{"format", "pt"}});
  const auto out = io::load_safetensors(path);
  ASSERT_EQ(out.tensors.size(), 3u);
  EXPECT_EQ(out.metadata.at("format"), "pt");
  for (const auto& [k, t] : in) {
    EXPECT_EQ(out.tensors.at(k).dtype(), t.dtype()) << k;
    EXPECT_EQ(max_abs_diff(out.tensors.at(k), t), 0.0) << k;
  }
  std::filesystem::remove(path);
}

TEST(Safetensors, ReadsIntegerAndHalfTypes) {
  // I64 [2] = {-3, 7}; F16 [2] = {1.0, -2.5}; BF16 [1] = {0.5}
  std::string data(16 + 4 + 2, '\0');
  const int64_t ints[2] = {-3, 7};
  std::memcpy(data.data(), ints, 16);
  const uint16_t halves[2] = {0x3C00, 0xC100};
  std::memcpy(data.data() + 16, halves, 4);
  const uint16_t bf = 0x3F00;
  std::memcpy(data.data() + 20, &bf, 2);
  const std::string header = R"({"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
                             R"("b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},)"
                             R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]}})";
  const auto f = io::parse_safetensors(make_file(header, data), "x");
  EXPECT_EQ(f.tensors.at("a").to_vector(), (std::vector<double>{-3, 7}));
  EXPECT_EQ(f.tensors.at("b").to_vector(), (std::vector<double>{1.0, -2.5}));
  EXPECT_EQ(f.tensors.at("c").to_vector(), (std::vector<double>{0.5}));
}

TEST(Safetensors, RejectsHostileFiles) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_io_error(std::string(5, '\0'), "only 5 bytes");
  // A header length far beyond the file must fail before any allocation of that size.
  std::string huge(8, '\0');
  const uint64_t n = uint64_t(1) << 60;
  std::memcpy(huge.data(), &n, 8);
  expect_io_error(huge, "header length");
  expect_io_error(make_file("{not json", std::string(8, '\0')), "not JSON");
  expect_io_error(make_file(ok, std::string(4, '\0')), "outside");
  expect_io_error(
      make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
      "need 12");
  expect_io_error(
      make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')),
      "negative");
  expect_io_error(make_file(R"({"w":{"dtype":"PICKLE","shape":[2],"data_offsets":[0,8]}})",
                            std::string(8, '\0')),
                  "unsupported dtype");
  expect_io_error(make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],)"
                            R"("data_offsets":[0,8]}})",
                            std::string(8, '\0')),
                  "overflows");
  expect_io_error(make_file(ok, std::string(12, '\0')), "trailing");
  expect_io_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            std::string(12, '\0')),
                  "overlap");
  EXPECT_THROW(io::load_safetensors(temp_path("does_not_exist")), IoError);
}

TEST(AtomicFile, FailedWriteLeavesOldFileIntact) {
  const std::string path = temp_path("atomic.txt");
  io::write_file_atomic(path, [](std::ostream& o) { o << "old"; });
  EXPECT_THROW(io::write_file_atomic(path,
                                     [](std::ostream& o) {
                                       o << "half";
                                       throw IoError("simulated crash");
                                     }),
               IoError);
  std::ifstream in(path);
  std::string s;
  in >> s;
  EXPECT_EQ(s, "old");
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    EXPECT_EQ(e.path().string().find("physcnn_io_atomic.txt.tmp"), std::string::npos);
  std::filesystem::remove(path);
}

// Helpers shared by the data-format tests: fixture paths, scratch directories, and checks that a
// call throws the expected error with the expected words in its message.
#pragma once

#include <gtest/gtest.h>

#include "support/scratch_dir.hpp"
#include "support/throws.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace physcnn::test {

inline std::string format_fixture(const std::string& name) {
  return std::string(PHYSCNN_SOURCE_DIR) + "/tests/fixtures/formats/" + name;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace physcnn::test

// Test support: reading PyTorch reference fixtures (tests/fixtures/*.safetensors, written by
// tools/ref/*.py) and comparing tensors with a report of the first mismatches.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tensor/tensor.hpp"

namespace physcnn::test {

struct Fixture {
  std::map<std::string, Tensor> tensors;        // I64 tensors are loaded as float64
  std::map<std::string, std::string> metadata;  // "torch", "fixture_version", ...
  const Tensor& operator[](const std::string& key) const;
  bool has(const std::string& key) const { return tensors.count(key) > 0; }
};

// Loads tests/fixtures/<name>.safetensors; fails the test with the regeneration command when
// the file is missing or its fixture_version differs from the expected one.
Fixture load_fixture(const std::string& name, const std::string& expected_version = "1");

// Largest |a-b| / (atol + rtol*|b|) over all elements; <= 1 means close. Prints the first
// mismatches and the largest absolute difference on failure.
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol, const std::string& what);

}  // namespace physcnn::test

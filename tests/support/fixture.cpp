// Minimal safetensors reader for fixtures and the close-comparison with diagnostics.
#include "support/fixture.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace physcnn::test {

const Tensor& Fixture::operator[](const std::string& key) const {
  auto it = tensors.find(key);
  if (it == tensors.end()) throw std::runtime_error("fixture has no tensor '" + key + "'");
  return it->second;
}

Fixture load_fixture(const std::string& name, const std::string& expected_version) {
  const std::string path =
      std::string(PHYSCNN_SOURCE_DIR) + "/tests/fixtures/" + name + ".safetensors";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("missing fixture " + path +
                             "; regenerate with /usr/bin/python3 tools/ref/<script>.py");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8) throw std::runtime_error("fixture " + path + " is truncated");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[size_t(i)]);
  if (n > bytes.size() - 8) throw std::runtime_error("fixture " + path + ": bad header length");
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  const char* base = bytes.data() + 8 + n;
  const size_t data_size = bytes.size() - 8 - n;
  Fixture f;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      for (auto m = it->begin(); m != it->end(); ++m) f.metadata[m.key()] = m->get<std::string>();
      continue;
    }
    const std::string dtype = (*it)["dtype"];
    std::vector<int64_t> dims = (*it)["shape"].get<std::vector<int64_t>>();
    const size_t lo = (*it)["data_offsets"][0], hi = (*it)["data_offsets"][1];
    if (hi < lo || hi > data_size) throw std::runtime_error("fixture " + path + ": bad offsets");
    const Shape shape(dims);
    const size_t count = static_cast<size_t>(shape.numel());
    if (dtype == "F32") {
      if (hi - lo != count * 4) throw std::runtime_error("fixture " + path + ": size mismatch");
      Tensor t = Tensor::empty(shape, DType::F32);
      std::memcpy(t.data<float>(), base + lo, count * 4);
      f.tensors[it.key()] = t;
    } else if (dtype == "F64" || dtype == "I64") {
      if (hi - lo != count * 8) throw std::runtime_error("fixture " + path + ": size mismatch");
      Tensor t = Tensor::empty(shape, DType::F64);
      if (dtype == "F64") {
        std::memcpy(t.data<double>(), base + lo, count * 8);
      } else {
        for (size_t i = 0; i < count; ++i) {
          int64_t v;
          std::memcpy(&v, base + lo + 8 * i, 8);
          t.data<double>()[i] = double(v);
        }
      }
      f.tensors[it.key()] = t;
    } else {
      throw std::runtime_error("fixture " + path + ": unsupported dtype " + dtype);
    }
  }
  if (f.metadata["fixture_version"] != expected_version)
    throw std::runtime_error("fixture " + path + " has version '" + f.metadata["fixture_version"] +
                             "', tests expect '" + expected_version +
                             "'; regenerate with /usr/bin/python3 tools/ref/<script>.py");
  return f;
}

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol, const std::string& what) {
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure()
           << what << ": shape " << actual.shape().str() << ", expected " << expected.shape().str();
  const auto a = actual.to_vector(), e = expected.to_vector();
  double worst = 0, max_abs = 0;
  size_t bad = 0;
  std::ostringstream first;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - e[i]);
    max_abs = std::max(max_abs, d);
    const double r = d / (atol + rtol * std::abs(e[i]));
    worst = std::max(worst, std::isnan(r) ? INFINITY : r);
    if (!(r <= 1.0) && bad++ < 5)
      first << "\n  [" << i << "] got " << a[i] << ", expected " << e[i];
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << a.size() << " elements differ (rtol " << rtol
         << ", atol " << atol << "), largest |diff| " << max_abs << first.str();
}

}  // namespace physcnn::test

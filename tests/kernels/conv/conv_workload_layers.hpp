// The conv layers of the benchmark workloads W1-W5 (/work design: "Benchmark workloads") as
// kernel geometries, shared by the conv kernel tests (at a small batch) and bench/conv_gflops
// (at the training batch). Header-only: it needs nothing but kernels/conv.hpp.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "kernels/conv.hpp"

namespace physcnn::test {

struct ConvLayer {
  std::string name;  // "W5 N32 10->10 @62 k3 p0"
  kernels::Conv2dDesc desc;
};

// Square input HW, square kernel K, symmetric zero padding P (W3's circular padding as the
// padded input, P = 0). `batch` 0 keeps each workload's training batch (W4: 8; W3 also at 128).
inline std::vector<ConvLayer> workload_conv_layers(int64_t batch = 0) {
  struct Row {
    const char* workload;
    int64_t N, IC, OC, HW, K, P;
  };
  const Row rows[] = {
      {"W1", 32, 1, 6, 28, 5, 2},   {"W1", 32, 6, 16, 14, 5, 0},   {"W2", 32, 1, 32, 28, 3, 1},
      {"W2", 32, 32, 64, 14, 3, 1}, {"W3", 32, 1, 16, 34, 3, 0},   {"W3", 32, 16, 32, 18, 3, 0},
      {"W3", 128, 1, 16, 34, 3, 0}, {"W3", 128, 16, 32, 18, 3, 0}, {"W4", 8, 1, 16, 64, 3, 1},
      {"W4", 8, 16, 16, 64, 3, 1},  {"W4", 8, 16, 32, 32, 3, 1},   {"W4", 8, 32, 32, 32, 3, 1},
      {"W4", 8, 32, 64, 16, 3, 1},  {"W4", 8, 64, 64, 16, 3, 1},   {"W5", 32, 3, 10, 64, 3, 0},
      {"W5", 32, 10, 10, 62, 3, 0}, {"W5", 32, 10, 10, 30, 3, 0},  {"W5", 32, 10, 10, 28, 3, 0},
  };
  std::vector<ConvLayer> layers;
  for (const Row& r : rows) {
    if (batch > 0 && r.N == 128) continue;  // the W3 batch-128 rows differ only in the batch
    const int64_t n = batch > 0 ? batch : r.N;
    char name[80];
    std::snprintf(name, sizeof name, "%s N%ld %ld->%ld @%ld k%ld p%ld", r.workload, long(n),
                  long(r.IC), long(r.OC), long(r.HW), long(r.K), long(r.P));
    kernels::Conv2dDesc d{.N = n,
                          .IC = r.IC,
                          .IH = r.HW,
                          .IW = r.HW,
                          .OC = r.OC,
                          .KH = r.K,
                          .KW = r.K,
                          .PH = {r.P, r.P},
                          .PW = {r.P, r.P}};
    kernels::conv2d_validate(d);
    layers.push_back({name, d});
  }
  return layers;
}

}  // namespace physcnn::test

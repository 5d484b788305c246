// The one parser of PHYSCNN_FAST_DISABLE.
#include "core/switches.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace physcnn {

namespace {

// Every switch of every floor: kernels::FastPaths (conv_gemm, conv_direct, winograd, avx2),
// nn fusion (fusion), train::StepSwitches (microbatch, chunk_threads,
// grad_overlap).
constexpr std::array<std::string_view, 9> kKnown = {"conv_gemm",  "conv_direct",   "winograd",
                                                    "avx2",       "avx512",        "fusion",
                                                    "microbatch", "chunk_threads", "grad_overlap"};

std::string known_list() {
  std::string s;
  for (std::string_view k : kKnown) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

bool known(std::string_view name) {
  return std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end();
}

std::vector<std::string> parse(const char* env) {
  std::vector<std::string> names;
  const std::string s = env ? env : "";
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string name = s.substr(start, end - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) {
      PHYSCNN_CHECK_ARG(known(name), "PHYSCNN_FAST_DISABLE: unknown switch '", name,
                        "' (known: ", known_list(), ")");
      names.push_back(name);
    }
    start = end + 1;
  }
  return names;
}

}  // namespace

bool switch_disabled(std::string_view name) {
  PHYSCNN_CHECK_ARG(known(name), "switch_disabled: '", name,
                    "' is not a switch (known: ", known_list(), ")");
  static const std::vector<std::string> disabled = parse(std::getenv("PHYSCNN_FAST_DISABLE"));
  return std::find(disabled.begin(), disabled.end(), name) != disabled.end();
}

}  // namespace physcnn

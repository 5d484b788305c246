// TOML model files: parsed and built on their declared input, then written back as text.
#include <string_view>

#include "fuzz_common.hpp"
#include "io/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace physcnn;
  fuzz::expect_clean([&] {
    const auto m = io::parse_model_file(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "fuzz.toml");
    (void)io::model_file_text(*m.model, m.input, m.name, m.description);
  });
  return 0;
}

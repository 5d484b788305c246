// PNG images through stb_image, from memory (read_png maps the file and calls the same decoder).
#include "data/formats/png.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  physcnn::fuzz::expect_clean([&] { (void)physcnn::data::decode_png({data, size}, "fuzz.png"); });
  return 0;
}

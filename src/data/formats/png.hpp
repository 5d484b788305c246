// PNG images through stb_image: one file to a float32 C×H×W tensor in [0,1] (gray → 1 channel,
// RGB → 3; an alpha channel is dropped; 8 and 16 bit), a folder-per-class tree to images +
// labels, and an atomic PNG writer for visualisation.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace physcnn::data {

Tensor read_png(const std::string& path);
Tensor decode_png(std::span<const uint8_t> bytes, const std::string& source);

// root/<class>/*.png; classes sorted by name give label indices 0..K-1, files sorted by name.
struct ImageFolder {
  Tensor images;                         // float32 N×C×H×W in [0,1]
  std::vector<int64_t> labels;           // N, index into class_names
  std::vector<std::string> class_names;  // K
  std::vector<std::string> files;        // N, the path of each image
};
// All images must share one C×H×W; the error names the first two files that differ.
ImageFolder read_image_folder(const std::string& root);

// Writes C×H×W (C = 1, 3 or 4) or H×W values in [0,1] (clamped) as an 8-bit PNG, atomically.
void write_png(const std::string& path, const Tensor& image);
std::vector<uint8_t> encode_png(const Tensor& image);

}  // namespace physcnn::data

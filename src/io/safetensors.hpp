// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {..}}, then
// raw little-endian data. The format cannot carry code, and the reader checks every offset
// against the file before touching data, so a hostile file can neither run code nor read out
// of bounds.
#pragma once

#include <map>
#include <string>

#include "tensor/tensor.hpp"

namespace physcnn::io {

struct TensorFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// F32 and F64 tensors are written as they are, except BatchNorm's `num_batches_tracked` scalar,
// written as I64 like PyTorch's state_dict; the write is atomic.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Reads F32, F64 (as is), F16/BF16 (to float32), I64/I32/I16/I8/U8/BOOL (to float64, exact).
TensorFile load_safetensors(const std::string& path);
// Parses from memory; `name` is used in error messages.
TensorFile parse_safetensors(const std::string& bytes, const std::string& name);

}  // namespace physcnn::io

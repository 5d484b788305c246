// IDX files (the MNIST family: LeCun's big-endian n-dimensional arrays), raw or gzipped.
// Types: ubyte → U8, byte → I8, short → I16, int → I32, float → F32, double → F64.
#pragma once

#include <span>
#include <string>

#include "data/formats/array.hpp"

namespace physcnn::data {

// Reads an IDX file; gzip is detected by its magic (1f 8b), not by the file name.
Array read_idx(const std::string& path);
// The same from bytes in memory; `source` names them in error messages.
Array parse_idx(std::span<const uint8_t> bytes, const std::string& source);

struct IdxWriteOptions {
  bool gzip = false;
};
// Writes atomically (temp file + rename). Refuses element types IDX cannot hold (bool,
// uint16/32/64, int64) and ranks above 255.
void write_idx(const std::string& path, const Array& array, const IdxWriteOptions& options = {});
std::vector<uint8_t> encode_idx(const Array& array, const IdxWriteOptions& options = {});

}  // namespace physcnn::data

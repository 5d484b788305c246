// NumPy .npz archives: a zip of .npy files. Reads stored and deflated entries (ZIP64 fields
// included, as np.savez writes them) and checks each entry's CRC-32; writes stored or deflated
// archives. The writer refuses archives beyond 4 GiB (it does not write ZIP64): use write_npy or
// HDF5 for data that large.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/formats/array.hpp"

namespace physcnn::data {

// Parses the central directory once; entries are inflated and checked when read.
class NpzReader {
 public:
  explicit NpzReader(const std::string& path);                // memory-maps the file
  NpzReader(std::vector<uint8_t> bytes, std::string source);  // an archive in memory
  ~NpzReader();
  NpzReader(NpzReader&&) noexcept;
  NpzReader& operator=(NpzReader&&) noexcept;

  // Array names (entry names without ".npy"), in archive order.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  Array read(const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::map<std::string, Array> read_npz(const std::string& path);

struct NpzWriteOptions {
  bool compress = false;  // deflate (np.savez_compressed) instead of store (np.savez)
};
using NamedArrays = std::vector<std::pair<std::string, Array>>;
// Writes atomically (temp file + rename); names get ".npy" appended, must be unique and non-empty.
void write_npz(const std::string& path, const NamedArrays& arrays,
               const NpzWriteOptions& options = {});
std::vector<uint8_t> encode_npz(const NamedArrays& arrays, const NpzWriteOptions& options = {});

}  // namespace physcnn::data

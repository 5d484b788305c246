// HDF5 datasets through the HDF5 C API: list datasets, read one by path (integer, float or
// h5py-style bool enum) into an Array, write datasets (e.g. Ising configurations as int8).
// HDF5's own error printing is switched off; failures become IoError naming the file and path.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "data/formats/array.hpp"

namespace physcnn::data {

// Full paths of every dataset in the file ("/group/images"), sorted.
std::vector<std::string> list_hdf5_datasets(const std::string& path);
Array read_hdf5(const std::string& path, const std::string& dataset);

struct Hdf5WriteOptions {
  bool append = false;             // keep the file's other datasets (else a new file)
  bool overwrite_dataset = false;  // replace a dataset of the same path when appending
  int compression = 0;             // gzip level 0..9; > 0 stores the data chunked
};
// Writes datasets atomically: the new file is built as a temp file in the same directory (a copy
// of the old one when appending) and renamed over `path`. Parent groups are created as needed.
void write_hdf5(const std::string& path, const std::vector<std::pair<std::string, Array>>& datasets,
                const Hdf5WriteOptions& options = {});
void write_hdf5(const std::string& path, const std::string& dataset, const Array& array,
                const Hdf5WriteOptions& options = {});

}  // namespace physcnn::data

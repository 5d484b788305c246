// A check of an HDF5 object header's datatype messages, made by physcnn from the file's bytes
// before libhdf5 decodes them. libhdf5 1.10 decodes a datatype message without comparing it to
// the message's size: a compound or enum member name without its terminating NUL is strdup'ed
// past the end of the buffer, and an enum's values (members × base size, both from the file) are
// memcpy'ed from it, whatever their size (fuzz/libhdf5_known/). Every field of every datatype
// message the dataset's header holds (and that of a committed datatype it refers to) must lie
// inside the message, before H5Dopen sees it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace physcnn::data::detail {

// Layout facts of the file, from its superblock (libhdf5 reads those safely).
struct Hdf5Geometry {
  uint64_t base = 0;       // the base address (user block size): offsets count from here
  int sizeof_addr = 8;     // bytes of a file address
  int sizeof_size = 8;     // bytes of a length
  uint64_t file_size = 0;  // bytes of the file
};

// Checks the object header at `addr` of the file `path`: its chunks lie in the file, every
// message lies in its chunk, every datatype message is well-formed inside its bounds, and the
// local heap of an old-style group lies in the file (libhdf5 allocated the size it declares,
// 5 × 10^18 bytes in a fuzzed file, before reading it).
// Throws IoError naming `where` otherwise.
void check_hdf5_object_header(const std::string& path, const Hdf5Geometry& geometry, uint64_t addr,
                              const std::string& where);

// The name of an HDF5 datatype class (H5T_class_t) for messages: "integer", "enum", ...
const char* hdf5_class_name(int h5t_class);

// Checks one encoded datatype (a datatype message's body) against its size; exposed for tests.
void check_hdf5_datatype(std::span<const uint8_t> message, const std::string& where);

}  // namespace physcnn::data::detail

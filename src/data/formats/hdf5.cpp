// HDF5 C API glue with RAII handles. Dataset extents are overflow-checked and bounded by what
// the file can hold before the read buffer is allocated.
#include "data/formats/hdf5.hpp"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "data/formats/deflate.hpp"
#include "data/formats/file_io.hpp"
#include "data/formats/hdf5_header.hpp"

namespace physcnn::data {

namespace {

// Owns an hid_t and closes it with the matching H5?close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void quiet_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// The outermost and innermost messages on HDF5's error stack, for the exception text
// (e.g. "unable to open file: truncated file: eof = 5000, ... stored_eof = 9784").
std::string hdf5_reason() {
  std::vector<std::string> msgs;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        if (e->desc && *e->desc) static_cast<std::vector<std::string>*>(out)->push_back(e->desc);
        return 0;
      },
      &msgs);
  H5Eclear2(H5E_DEFAULT);
  if (msgs.empty()) return "";
  std::string m = msgs.front();
  if (msgs.size() > 1 && msgs.back() != msgs.front()) m += ": " + msgs.back();
  return " (HDF5: " + m + ")";
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw IoError(file + ": " + what + hdf5_reason());
}

Handle open_file(const std::string& path, unsigned flags) {
  quiet_hdf5();
  PHYSCNN_CHECK(std::filesystem::is_regular_file(path), IoError, path,
                ": no such HDF5 file (or not a regular file)");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "not an HDF5 file (no HDF5 signature)");
  Handle f(H5Fopen(path.c_str(), flags, H5P_DEFAULT), H5Fclose);
  if (!f.ok()) fail(path, "cannot open HDF5 file");
  return f;
}

// What the superblock says about addresses (libhdf5 has read and checked it when opening).
detail::Hdf5Geometry geometry(hid_t file, const std::string& path) {
  detail::Hdf5Geometry g;
  Handle fcpl(H5Fget_create_plist(file), H5Pclose);
  size_t sizeof_addr = 0, sizeof_size = 0;
  hsize_t userblock = 0;
  if (!fcpl.ok() || H5Pget_sizes(fcpl.get(), &sizeof_addr, &sizeof_size) < 0 ||
      H5Pget_userblock(fcpl.get(), &userblock) < 0)
    fail(path, "cannot read the file's superblock");
  PHYSCNN_CHECK(sizeof_addr >= 2 && sizeof_addr <= 8 && sizeof_size >= 2 && sizeof_size <= 8,
                IoError, path, ": superblock declares ", sizeof_addr, "-byte addresses and ",
                sizeof_size, "-byte lengths (expected 2 to 8)");
  g.sizeof_addr = int(sizeof_addr);
  g.sizeof_size = int(sizeof_size);
  g.base = userblock;
  g.file_size = std::filesystem::file_size(path);
  return g;
}

// True when every component of `dataset` exists (H5Lexists needs the parents to exist).
// `before_lookup(group)` runs for "/" and each existing group on the path before a name is
// looked up in it.
bool link_exists(hid_t file, const std::string& dataset,
                 const std::function<void(const std::string&)>& before_lookup = {}) {
  if (before_lookup) before_lookup("/");
  size_t pos = 0;
  while (true) {
    pos = dataset.find('/', pos + 1);
    const std::string prefix = dataset.substr(0, pos);
    if (prefix != "/" && !prefix.empty() && H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    if (pos == std::string::npos) return true;
    if (before_lookup && prefix != "/" && !prefix.empty()) before_lookup(prefix);
  }
}

// Where an external link (a link into another file) would have led; set by refuse_elink, which
// HDF5 calls instead of opening that file.
struct ExternalLinkSeen {
  std::string file, object;
};
herr_t refuse_elink(const char*, const char*, const char* child_file, const char* child_object,
                    unsigned*, hid_t, void* seen) {
  auto* s = static_cast<ExternalLinkSeen*>(seen);
  s->file = child_file ? child_file : "";
  s->object = child_object ? child_object : "";
  return -1;  // HDF5 then fails the open without touching the other file
}

// Data must come from the file named, never from another file the file points at: a hostile
// .h5 could otherwise make a run read any local file into its samples and report (external
// raw-data storage, external links, virtual datasets mapping other files).
void refuse_other_files(hid_t ds, const std::string& where) {
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  if (!dcpl.ok()) fail(where, "cannot read the dataset's storage properties");
  if (H5Pget_external_count(dcpl.get()) > 0) {
    std::vector<char> name(4097, '\0');
    off_t offset = 0;
    hsize_t size = 0;
    H5Pget_external(dcpl.get(), 0, name.size() - 1, name.data(), &offset, &size);
    throw IoError(
        where + ": the dataset's bytes are stored outside the file (external storage in '" +
        std::string(name.data()) + "'); physcnn reads only data stored in the HDF5 file itself");
  }
  if (H5Pget_layout(dcpl.get()) == H5D_VIRTUAL)
    throw IoError(where +
                  ": a virtual dataset (its data is mapped from other datasets or files); physcnn "
                  "reads only data stored in the HDF5 file itself");
}

// A compact dataset keeps its bytes in its header; HDF5 1.10 copies as many bytes as the
// dataspace needs from that buffer without comparing the two, so a file whose compact buffer
// is shorter than its dataspace makes H5Dread read past a heap block (found by fuzz/hdf5.cpp).
void check_compact_size(hid_t ds, hid_t file_type, const std::vector<int64_t>& shape,
                        const std::string& where) {
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  if (!dcpl.ok()) fail(where, "cannot read the dataset's storage properties");
  if (H5Pget_layout(dcpl.get()) != H5D_COMPACT) return;
  const uint64_t need = detail::checked_nbytes(shape, H5Tget_size(file_type), where);
  const uint64_t have = H5Dget_storage_size(ds);
  PHYSCNN_CHECK(have == need, IoError, where, ": compact dataset stores ", have,
                " bytes, its shape ", Shape(shape).str(), " needs ", need, " (corrupt file)");
}

// HDF5 1.10 copies a whole chunk's worth of bytes out of a decompressed chunk without checking
// that the filters produced that many, so a chunk that inflates short makes H5Dread read past a
// heap block (found by fuzz/hdf5.cpp). Every filtered chunk is therefore undone here first
// (deflate, shuffle, fletcher32; other filters are refused) and must give exactly one chunk.
void check_chunks(hid_t ds, hid_t file_type, size_t rank, uint64_t file_size,
                  const std::string& where) {
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  if (!dcpl.ok()) fail(where, "cannot read the dataset's storage properties");
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return;
  const int nf = H5Pget_nfilters(dcpl.get());
  if (nf <= 0) return;  // unfiltered chunks are read as stored, one chunk in size
  std::vector<H5Z_filter_t> filters;
  for (int i = 0; i < nf; ++i) {
    unsigned flags = 0;
    size_t nvalues = 0;
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &nvalues,
                                           nullptr, 0, nullptr, nullptr);
    PHYSCNN_CHECK(
        id == H5Z_FILTER_DEFLATE || id == H5Z_FILTER_SHUFFLE || id == H5Z_FILTER_FLETCHER32,
        IoError, where, ": HDF5 filter ", id,
        " is not supported (physcnn reads gzip, shuffle and fletcher32 chunks)");
    filters.push_back(id);
  }
  std::vector<hsize_t> cdims(rank);
  if (H5Pget_chunk(dcpl.get(), static_cast<int>(rank), cdims.data()) != static_cast<int>(rank))
    fail(where, "cannot read the chunk shape");
  const uint64_t chunk_bytes = detail::checked_nbytes(
      std::vector<int64_t>(cdims.begin(), cdims.end()), H5Tget_size(file_type), where);
  Handle space(H5Dget_space(ds), H5Sclose);
  hsize_t nchunks = 0;
  if (!space.ok() || H5Dget_num_chunks(ds, space.get(), &nchunks) < 0)
    fail(where, "cannot count the chunks");
  std::vector<hsize_t> offset(rank);
  for (hsize_t k = 0; k < nchunks; ++k) {
    unsigned mask = 0;
    haddr_t addr = 0;
    hsize_t size = 0;
    if (H5Dget_chunk_info(ds, space.get(), k, offset.data(), &mask, &addr, &size) < 0)
      fail(where, "cannot read the chunk index");
    // H5Dread_chunk writes as many bytes as H5Dget_chunk_storage_size reports, which a
    // corrupt index can make differ from the size the chunk info gave.
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(ds, offset.data(), &stored) < 0)
      fail(where, "cannot read a chunk's size");
    size = std::max(size, stored);
    PHYSCNN_CHECK(size <= file_size, IoError, where, ": chunk ", k, " claims ", size,
                  " bytes, more than the file holds");
    std::vector<uint8_t> raw(size);
    uint32_t skipped = 0;
    if (size > 0 && H5Dread_chunk(ds, H5P_DEFAULT, offset.data(), &skipped, raw.data()) < 0)
      fail(where, "cannot read a chunk (corrupt file?)");
    for (int i = nf - 1; i >= 0; --i) {
      if (skipped & (1u << i)) continue;
      if (filters[static_cast<size_t>(i)] == H5Z_FILTER_FLETCHER32) {
        PHYSCNN_CHECK(raw.size() >= 4, IoError, where, ": chunk ", k, " lacks its checksum");
        raw.resize(raw.size() - 4);
      } else if (filters[static_cast<size_t>(i)] == H5Z_FILTER_DEFLATE) {
        PHYSCNN_CHECK(raw.size() >= 2, IoError, where, ": chunk ", k, " is not a zlib stream");
        // The zlib header is 2 bytes; the raw stream after it may give at most one chunk
        // (plus a checksum when fletcher32 ran before deflate).
        raw = detail::inflate_raw_prefix(std::span<const uint8_t>(raw).subspan(2),
                                         static_cast<size_t>(chunk_bytes) + 5, where);
      }
    }
    PHYSCNN_CHECK(raw.size() == chunk_bytes, IoError, where, ": chunk ", k, " decompresses to ",
                  raw.size(), " bytes, a chunk of ",
                  Shape(std::vector<int64_t>(cdims.begin(), cdims.end())).str(), " needs ",
                  chunk_bytes, " (corrupt file)");
  }
}

std::string normalize(const std::string& dataset) {
  PHYSCNN_CHECK_ARG(!dataset.empty() && dataset != "/", "HDF5 dataset path '", dataset,
                    "' is empty");
  return dataset[0] == '/' ? dataset : "/" + dataset;
}

hid_t native_type(ElemType t) {
  switch (t) {
    case ElemType::Bool:
    case ElemType::U8:
      return H5T_NATIVE_UINT8;
    case ElemType::I8:
      return H5T_NATIVE_INT8;
    case ElemType::U16:
      return H5T_NATIVE_UINT16;
    case ElemType::I16:
      return H5T_NATIVE_INT16;
    case ElemType::U32:
      return H5T_NATIVE_UINT32;
    case ElemType::I32:
      return H5T_NATIVE_INT32;
    case ElemType::U64:
      return H5T_NATIVE_UINT64;
    case ElemType::I64:
      return H5T_NATIVE_INT64;
    case ElemType::F32:
      return H5T_NATIVE_FLOAT;
    case ElemType::F64:
      return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_UINT8;
}

// h5py stores numpy bools as an int8 enum {FALSE = 0, TRUE = 1}; we write the same.
hid_t make_bool_enum() {
  const hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t v = 0;
  H5Tenum_insert(t, "FALSE", &v);
  v = 1;
  H5Tenum_insert(t, "TRUE", &v);
  return t;
}

ElemType elem_type_of_dataset(hid_t type, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_ENUM) {
    PHYSCNN_CHECK(size == 1 && H5Tget_nmembers(type) == 2, IoError, where,
                  ": enum datasets are read only as h5py booleans (1-byte, 2 members)");
    return ElemType::Bool;
  }
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1:
        return is_signed ? ElemType::I8 : ElemType::U8;
      case 2:
        return is_signed ? ElemType::I16 : ElemType::U16;
      case 4:
        return is_signed ? ElemType::I32 : ElemType::U32;
      case 8:
        return is_signed ? ElemType::I64 : ElemType::U64;
    }
  }
  if (cls == H5T_FLOAT && (size == 4 || size == 8))
    return size == 4 ? ElemType::F32 : ElemType::F64;
  throw IoError(::physcnn::detail::cat(where, ": dataset element type (HDF5 ",
                                       detail::hdf5_class_name(cls), ", ", size,
                                       " bytes) is not supported; expected an integer of 1/2/4/8 "
                                       "bytes, float32/float64 or an h5py bool"));
}

// The file's datasets, group by group: each group's header (and local heap) is checked before
// libhdf5 iterates it (H5Lvisit iterated groups unchecked).
struct Lister {
  std::string path;
  detail::Hdf5Geometry geometry;
  std::vector<std::string> names;
  std::vector<haddr_t> seen;  // groups listed (hard links may form cycles)
};

void list_group(hid_t file, const std::string& group, Lister& l, int depth) {
  H5O_info_t oi{};
  if (H5Oget_info_by_name2(file, group.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    fail(l.path + ":" + group, "cannot read the group");
  if (depth > 64 || std::find(l.seen.begin(), l.seen.end(), oi.addr) != l.seen.end()) return;
  l.seen.push_back(oi.addr);
  detail::check_hdf5_object_header(l.path, l.geometry, oi.addr, l.path + ":" + group);
  // The object's kind comes from which messages its header holds: nothing is decoded (opening
  // it, as this did, decoded its datatype: libhdf5 over-reads there, hdf5_header.hpp).
  std::vector<std::pair<std::string, H5O_type_t>> children;
  auto cb = [](hid_t g, const char* name, const H5L_info_t* info, void* data) -> herr_t {
    if (info->type != H5L_TYPE_HARD) return 0;
    H5O_info_t ci{};
    if (H5Oget_info_by_name2(g, name, &ci, H5O_INFO_BASIC, H5P_DEFAULT) >= 0)
      static_cast<std::vector<std::pair<std::string, H5O_type_t>>*>(data)->emplace_back(name,
                                                                                        ci.type);
    return 0;
  };
  if (H5Literate_by_name(file, group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &children,
                         H5P_DEFAULT) < 0)
    fail(l.path + ":" + group, "cannot list the group");
  for (const auto& c : children) {
    const std::string full = (group == "/" ? "/" : group + "/") + c.first;
    if (c.second == H5O_TYPE_DATASET) l.names.push_back(full);
    if (c.second == H5O_TYPE_GROUP) list_group(file, full, l, depth + 1);
  }
}
}  // namespace

std::vector<std::string> list_hdf5_datasets(const std::string& path) {
  Handle f = open_file(path, H5F_ACC_RDONLY);
  Lister l{path, geometry(f.get(), path), {}, {}};
  list_group(f.get(), "/", l, 0);
  std::sort(l.names.begin(), l.names.end());
  return l.names;
}

Array read_hdf5(const std::string& path, const std::string& dataset_path) {
  const std::string ds_path = normalize(dataset_path);
  const std::string where = path + ":" + ds_path;
  Handle f = open_file(path, H5F_ACC_RDONLY);
  const detail::Hdf5Geometry g = geometry(f.get(), path);
  // Each group on the path is checked before libhdf5 looks a name up in it.
  const auto check_group = [&](const std::string& group) {
    H5O_info_t gi{};
    if (H5Oget_info_by_name2(f.get(), group.c_str(), &gi, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
        gi.type == H5O_TYPE_GROUP)
      detail::check_hdf5_object_header(path, g, gi.addr, path + ":" + group);
  };
  if (!link_exists(f.get(), ds_path, check_group)) {
    H5Eclear2(H5E_DEFAULT);
    std::string have;
    for (const auto& n : list_hdf5_datasets(path)) have += (have.empty() ? "" : ", ") + n;
    throw IoError(where + ": no such dataset (the file holds: " + (have.empty() ? "none" : have) +
                  ")");
  }
  ExternalLinkSeen elink;
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  if (!dapl.ok() || H5Pset_elink_cb(dapl.get(), refuse_elink, &elink) < 0)
    fail(where, "cannot set up the dataset access");
  const auto refuse_elink_seen = [&] {
    if (elink.file.empty()) return;
    H5Eclear2(H5E_DEFAULT);
    throw IoError(where + ": the path is an external link to '" + elink.object + "' in '" +
                  elink.file + "'; physcnn reads only data stored in the HDF5 file itself");
  };
  // Its header's datatype messages are checked from the file's bytes before libhdf5 decodes
  // them (libhdf5 1.10 reads past the message on some: hdf5_header.hpp).
  H5O_info_t oi{};
  if (H5Oget_info_by_name2(f.get(), ds_path.c_str(), &oi, H5O_INFO_BASIC, dapl.get()) < 0) {
    refuse_elink_seen();
    fail(where, "is not a dataset");
  }
  if (oi.type != H5O_TYPE_DATASET) fail(where, "is not a dataset");
  detail::check_hdf5_object_header(path, g, oi.addr, where);
  Handle ds(H5Dopen2(f.get(), ds_path.c_str(), dapl.get()), H5Dclose);
  if (!ds.ok()) refuse_elink_seen();
  if (!ds.ok()) fail(where, "is not a dataset");
  refuse_other_files(ds.get(), where);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  if (!type.ok()) fail(where, "cannot read the dataset's type");
  const ElemType et = elem_type_of_dataset(type.get(), where);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) fail(where, "cannot read the dataset's extents (not a simple dataspace?)");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fail(where, "cannot read the dataset's extents");
  std::vector<int64_t> shape;
  for (hsize_t d : dims) {
    PHYSCNN_CHECK(d <= static_cast<hsize_t>(INT64_MAX), IoError, where, ": extent ", d,
                  " does not fit int64");
    shape.push_back(static_cast<int64_t>(d));
  }
  const uint64_t nbytes = detail::checked_nbytes(shape, elem_size(et), where);
  // A dataset's bytes come from the file; even compressed they cannot exceed 1032x its size.
  const uint64_t file_size = std::filesystem::file_size(path);
  PHYSCNN_CHECK(nbytes <= file_size * detail::kMaxDeflateRatio, IoError, where, ": dataset of ",
                elem_name(et), " ", Shape(shape).str(), " = ", nbytes, " bytes cannot come from a ",
                file_size, "-byte file");
  check_compact_size(ds.get(), type.get(), shape, where);
  if (nbytes > 0) check_chunks(ds.get(), type.get(), shape.size(), file_size, where);
  Array a = Array::zeros(et, Shape(shape));
  if (nbytes > 0) {
    Handle bool_type(et == ElemType::Bool ? make_bool_enum() : -1, H5Tclose);
    const hid_t mem = et == ElemType::Bool ? bool_type.get() : native_type(et);
    if (H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()) < 0)
      fail(where, "reading the dataset failed (corrupt file?)");
  }
  if (et == ElemType::Bool)
    for (auto& b : a.bytes) b = b != 0;
  return a;
}

namespace {
void write_one(hid_t file, const std::string& target, const std::string& ds_path, const Array& a,
               const Hdf5WriteOptions& options) {
  const std::string where = target + ":" + ds_path;
  PHYSCNN_CHECK_ARG(options.compression >= 0 && options.compression <= 9, "write_hdf5: ", where,
                    ": compression level ", options.compression, " is not in 0..9");
  PHYSCNN_CHECK_ARG(a.bytes.size() == static_cast<size_t>(a.numel()) * elem_size(a.type),
                    "write_hdf5: ", where, ": array ", a.shape.str(), " holds ", a.bytes.size(),
                    " bytes");
  if (link_exists(file, ds_path)) {
    PHYSCNN_CHECK_ARG(options.overwrite_dataset, "write_hdf5: ", where,
                      " already exists (set overwrite_dataset to replace it)");
    if (H5Ldelete(file, ds_path.c_str(), H5P_DEFAULT) < 0) fail(where, "cannot remove old dataset");
  }
  H5Eclear2(H5E_DEFAULT);
  std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
  Handle space(a.shape.rank() == 0
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  if (!space.ok()) fail(where, "cannot create the dataspace");
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (options.compression > 0 && a.shape.rank() > 0 && a.numel() > 0) {
    // Chunks of whole rows along the first axis, about 1 MiB each.
    std::vector<hsize_t> chunk = dims;
    const uint64_t row = a.bytes.size() / dims[0];
    chunk[0] = std::clamp<hsize_t>((uint64_t{1} << 20) / std::max<uint64_t>(row, 1), 1, dims[0]);
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.compression));
  }
  Handle bool_type(a.type == ElemType::Bool ? make_bool_enum() : -1, H5Tclose);
  const hid_t type = a.type == ElemType::Bool ? bool_type.get() : native_type(a.type);
  Handle ds(
      H5Dcreate2(file, ds_path.c_str(), type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
      H5Dclose);
  if (!ds.ok()) fail(where, "cannot create the dataset");
  if (a.numel() > 0 && H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()) < 0)
    fail(where, "writing the dataset failed");
}
}  // namespace

void write_hdf5(const std::string& path, const std::vector<std::pair<std::string, Array>>& datasets,
                const Hdf5WriteOptions& options) {
  quiet_hdf5();
  detail::AtomicFile tmp(path);
  tmp.close_stream();
  hid_t id = -1;
  if (options.append && std::filesystem::exists(path)) {
    if (H5Fis_hdf5(path.c_str()) <= 0) fail(path, "cannot append: not an HDF5 file");
    std::filesystem::copy_file(path, tmp.temp_path(),
                               std::filesystem::copy_options::overwrite_existing);
    id = H5Fopen(tmp.temp_path().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  } else {
    id = H5Fcreate(tmp.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  }
  {
    Handle f(id, H5Fclose);
    if (!f.ok()) fail(path, "cannot create the temporary HDF5 file " + tmp.temp_path());
    for (const auto& [name, array] : datasets)
      write_one(f.get(), path, normalize(name), array, options);
    if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) fail(path, "flushing the HDF5 file failed");
  }
  tmp.commit();
}

void write_hdf5(const std::string& path, const std::string& dataset, const Array& array,
                const Hdf5WriteOptions& options) {
  write_hdf5(path, {{dataset, array}}, options);
}

}  // namespace physcnn::data

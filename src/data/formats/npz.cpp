// The zip container of .npz: end-of-central-directory (and its ZIP64 form), central directory,
// local headers. Every offset and size is checked against the archive before it is used.
#include "data/formats/npz.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "data/formats/deflate.hpp"
#include "data/formats/file_io.hpp"
#include "data/formats/npy.hpp"

namespace physcnn::data {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50,
                   kEocd64Sig = 0x06064b50, kLocator64Sig = 0x07064b50;
constexpr uint32_t k32 = 0xffffffffu;
constexpr uint16_t k16 = 0xffffu;

struct Entry {
  std::string name;  // as stored, with ".npy"
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t comp_size = 0, size = 0, local_offset = 0;
};

std::string npy_name(const std::string& entry) {
  return entry.size() > 4 && entry.ends_with(".npy") ? entry.substr(0, entry.size() - 4) : entry;
}

// Reads the ZIP64 extended-information extra field (id 1): only the fields whose 32-bit
// counterparts are saturated are present, in this order (APPNOTE 4.5.3).
void apply_zip64_extra(std::span<const uint8_t> extra, Entry& e, bool disk_saturated,
                       const std::string& source) {
  detail::ByteCursor c(extra, source + " (zip extra field of '" + e.name + "')");
  while (c.remaining() >= 4) {
    const uint16_t id = c.le16("extra id");
    const uint16_t len = c.le16("extra length");
    auto body = c.take(len, "extra data");
    if (id != 1) continue;
    detail::ByteCursor z(body, c.source() + " ZIP64");
    if (e.size == k32) e.size = z.le64("ZIP64 uncompressed size");
    if (e.comp_size == k32) e.comp_size = z.le64("ZIP64 compressed size");
    if (e.local_offset == k32) e.local_offset = z.le64("ZIP64 local header offset");
    if (disk_saturated) z.le32("ZIP64 disk number");
  }
}

std::vector<Entry> parse_central_directory(std::span<const uint8_t> zip,
                                           const std::string& source) {
  PHYSCNN_CHECK(zip.size() >= 22, IoError, source, ": not a zip/.npz archive: ", zip.size(),
                " bytes is shorter than an end-of-central-directory record (22)");
  // The EOCD record sits at the end, followed by a comment of at most 65535 bytes.
  size_t eocd = SIZE_MAX;
  const size_t lowest = zip.size() >= 22 + 65535 ? zip.size() - 22 - 65535 : 0;
  auto le = [&](size_t p, int n) {
    uint32_t v = 0;
    for (int i = n; i-- > 0;) v = v << 8 | zip[p + static_cast<size_t>(i)];
    return v;
  };
  for (size_t p = zip.size() - 22 + 1; p-- > lowest;) {  // p + 22 <= size throughout
    if (le(p, 4) == kEocdSig && p + 22 + le(p + 20, 2) == zip.size()) {
      eocd = p;
      break;
    }
  }
  PHYSCNN_CHECK(eocd != SIZE_MAX, IoError, source,
                ": not a zip/.npz archive (or truncated): no end-of-central-directory record");
  detail::ByteCursor c(zip, source);
  c.seek(eocd + 4, "EOCD");
  const uint16_t disk = c.le16("EOCD disk"), cd_disk = c.le16("EOCD directory disk");
  uint64_t n_disk = c.le16("EOCD entries on disk"), n = c.le16("EOCD entries");
  uint64_t cd_size = c.le32("EOCD directory size"), cd_offset = c.le32("EOCD directory offset");
  if (n == k16 || cd_size == k32 || cd_offset == k32) {
    PHYSCNN_CHECK(eocd >= 20, IoError, source, ": ZIP64 archive lacks its EOCD locator");
    c.seek(eocd - 20, "ZIP64 locator");
    PHYSCNN_CHECK(c.le32("ZIP64 locator signature") == kLocator64Sig, IoError, source,
                  ": EOCD fields are saturated but no ZIP64 locator precedes it");
    c.le32("ZIP64 locator disk");
    const uint64_t off64 = c.le64("ZIP64 EOCD offset");
    PHYSCNN_CHECK(off64 <= eocd - 20, IoError, source, ": ZIP64 EOCD offset ", off64,
                  " lies beyond the locator at ", eocd - 20);
    c.seek(off64, "ZIP64 EOCD");
    PHYSCNN_CHECK(c.le32("ZIP64 EOCD signature") == kEocd64Sig, IoError, source,
                  ": bad ZIP64 end-of-central-directory signature at offset ", off64);
    c.take(12, "ZIP64 EOCD size and versions");
    PHYSCNN_CHECK(c.le32("ZIP64 disk") == 0 && c.le32("ZIP64 directory disk") == 0, IoError, source,
                  ": multi-disk zip archives are not supported");
    n_disk = c.le64("ZIP64 entries on disk");
    n = c.le64("ZIP64 entries");
    cd_size = c.le64("ZIP64 directory size");
    cd_offset = c.le64("ZIP64 directory offset");
  } else {
    PHYSCNN_CHECK(disk == 0 && cd_disk == 0, IoError, source,
                  ": multi-disk zip archives are not supported");
  }
  PHYSCNN_CHECK(n_disk == n, IoError, source, ": EOCD counts ", n_disk,
                " entries on this disk but ", n,
                " in total (multi-disk zip archives are not supported)");
  PHYSCNN_CHECK(cd_offset <= zip.size() && cd_size <= zip.size() - cd_offset, IoError, source,
                ": central directory [", cd_offset, ", +", cd_size, ") lies outside the ",
                zip.size(), "-byte archive (truncated?)");
  PHYSCNN_CHECK(n <= cd_size / 46, IoError, source, ": ", n, " entries cannot fit a ", cd_size,
                "-byte central directory (46 bytes each at least)");
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(n));
  detail::ByteCursor d(zip.subspan(cd_offset, cd_size), source + " (central directory)");
  std::set<std::string> seen;
  for (uint64_t i = 0; i < n; ++i) {
    PHYSCNN_CHECK(d.le32("central header signature") == kCentralSig, IoError, source,
                  ": central directory entry ", i, " has a bad signature");
    Entry e;
    d.take(4, "versions");
    e.flags = d.le16("flags");
    e.method = d.le16("method");
    d.take(4, "time and date");
    e.crc = d.le32("crc32");
    e.comp_size = d.le32("compressed size");
    e.size = d.le32("uncompressed size");
    const uint16_t name_len = d.le16("name length"), extra_len = d.le16("extra length"),
                   comment_len = d.le16("comment length");
    const uint16_t disk_start = d.le16("disk number");
    d.take(6, "attributes");
    e.local_offset = d.le32("local header offset");
    auto name = d.take(name_len, "entry name");
    e.name.assign(name.begin(), name.end());
    apply_zip64_extra(d.take(extra_len, "extra field"), e, disk_start == k16, source);
    d.take(comment_len, "entry comment");
    PHYSCNN_CHECK(seen.insert(e.name).second, IoError, source, ": entry '", e.name,
                  "' appears twice");
    entries.push_back(std::move(e));
  }
  return entries;
}

// Compressed bytes of an entry, located through (and checked against) its local header.
std::span<const uint8_t> entry_data(std::span<const uint8_t> zip, const Entry& e,
                                    const std::string& source) {
  const std::string what = source + " (entry '" + e.name + "')";
  detail::ByteCursor c(zip, what);
  PHYSCNN_CHECK(e.local_offset < zip.size(), IoError, what, ": local header offset ",
                e.local_offset, " lies beyond the ", zip.size(), "-byte archive");
  c.seek(e.local_offset, "local header");
  PHYSCNN_CHECK(c.le32("local header signature") == kLocalSig, IoError, what,
                ": bad local header signature at offset ", e.local_offset);
  c.take(22, "local header fields");
  const uint16_t name_len = c.le16("local name length"), extra_len = c.le16("local extra length");
  auto name = c.take(name_len, "local entry name");
  PHYSCNN_CHECK(std::string(name.begin(), name.end()) == e.name, IoError, what,
                ": local header names '", std::string(name.begin(), name.end()), "'");
  c.take(extra_len, "local extra field");
  PHYSCNN_CHECK(e.comp_size <= c.remaining(), IoError, what, ": truncated: ", e.comp_size,
                " compressed bytes declared, ", c.remaining(), " remain in the archive");
  return c.take(e.comp_size, "entry data");
}

}  // namespace

struct NpzReader::Impl {
  std::variant<std::unique_ptr<detail::MappedFile>, std::vector<uint8_t>> storage;
  std::span<const uint8_t> zip;
  std::string source;
  std::vector<Entry> entries;

  const Entry* find(const std::string& name) const {
    for (const auto& e : entries)
      if (npy_name(e.name) == name) return &e;
    return nullptr;
  }
};

NpzReader::NpzReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  auto map = std::make_unique<detail::MappedFile>(path);
  impl_->zip = map->bytes();
  impl_->storage = std::move(map);
  impl_->source = path;
  impl_->entries = parse_central_directory(impl_->zip, path);
}

NpzReader::NpzReader(std::vector<uint8_t> bytes, std::string source)
    : impl_(std::make_unique<Impl>()) {
  impl_->storage = std::move(bytes);
  impl_->zip = std::get<std::vector<uint8_t>>(impl_->storage);
  impl_->source = std::move(source);
  impl_->entries = parse_central_directory(impl_->zip, impl_->source);
}

NpzReader::~NpzReader() = default;
NpzReader::NpzReader(NpzReader&&) noexcept = default;
NpzReader& NpzReader::operator=(NpzReader&&) noexcept = default;

std::vector<std::string> NpzReader::names() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->entries) out.push_back(npy_name(e.name));
  return out;
}

bool NpzReader::contains(const std::string& name) const {
  return impl_->find(name) != nullptr;
}

Array NpzReader::read(const std::string& name) const {
  const Entry* e = impl_->find(name);
  if (!e) {
    std::string have;
    for (const auto& n : names()) have += (have.empty() ? "" : ", ") + n;
    throw IoError(impl_->source + ": no array '" + name + "' in the archive (it holds: " + have +
                  ")");
  }
  const std::string what = impl_->source + " (entry '" + e->name + "')";
  PHYSCNN_CHECK(!(e->flags & 1), IoError, what, ": encrypted zip entries are not supported");
  auto data = entry_data(impl_->zip, *e, impl_->source);
  std::vector<uint8_t> inflated;
  std::span<const uint8_t> npy;
  if (e->method == 0) {
    PHYSCNN_CHECK(e->size == e->comp_size, IoError, what, ": stored entry has compressed size ",
                  e->comp_size, " but uncompressed size ", e->size);
    npy = data;
  } else if (e->method == 8) {
    PHYSCNN_CHECK(e->size <= detail::kMaxArrayBytes, IoError, what, ": uncompressed size ", e->size,
                  " exceeds the limit");
    // The .npy header first: an entry whose zip size disagrees with its own header is refused
    // before up to kMaxArrayBytes are inflated for nothing.
    // (A short entry that ends early is left to inflate_raw, which says how it was cut.)
    detail::check_deflate_ratio(data.size(), e->size, what);
    const auto want = static_cast<size_t>(std::min<uint64_t>(e->size, detail::kMaxNpyHeaderBytes));
    const auto head = detail::inflate_raw_prefix(data, want, what);
    if (head.size() == want)
      detail::parse_npy_header(head, what + " (zip size " + std::to_string(e->size) + ")", e->size);
    else
      PHYSCNN_CHECK(e->size <= want, IoError, what, ": truncated deflate stream: it ends after ",
                    head.size(), " of the declared ", e->size, " bytes");
    inflated = detail::inflate_raw(data, e->size, what);
    npy = inflated;
  } else {
    throw IoError(::physcnn::detail::cat(what, ": compression method ", e->method,
                                         " is not supported (expected 0 stored or 8 deflate)"));
  }
  const uint32_t crc = detail::crc32_of(npy);
  PHYSCNN_CHECK(crc == e->crc, IoError, what, ": CRC-32 mismatch: data has 0x", std::hex, crc,
                ", directory says 0x", e->crc, std::dec, " (corrupt archive)");
  return parse_npy(npy, what);
}

std::map<std::string, Array> read_npz(const std::string& path) {
  NpzReader r(path);
  std::map<std::string, Array> out;
  for (const auto& n : r.names()) out.emplace(n, r.read(n));
  return out;
}

// --- writer -------------------------------------------------------------------------------

namespace {
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v));
  put16(b, static_cast<uint16_t>(v >> 16));
}

// Writes entries through `sink(bytes)`; returns nothing, throws before writing past 4 GiB.
template <class Sink>
void write_zip(const NamedArrays& arrays, const NpzWriteOptions& options, Sink&& sink) {
  PHYSCNN_CHECK_ARG(arrays.size() < k16, "write_npz: ", arrays.size(),
                    " arrays exceed the zip limit of 65534 without ZIP64");
  std::set<std::string> names;
  std::vector<uint8_t> central;
  uint64_t offset = 0;
  for (const auto& [name, array] : arrays) {
    PHYSCNN_CHECK_ARG(!name.empty() && name.size() < 60000, "write_npz: array name '", name,
                      "' must be non-empty and shorter than 60000 bytes");
    PHYSCNN_CHECK_ARG(names.insert(name).second, "write_npz: array name '", name,
                      "' appears twice");
    const std::string entry = name + ".npy";
    const std::vector<uint8_t> npy = encode_npy(array);
    const uint32_t crc = detail::crc32_of(npy);
    std::vector<uint8_t> deflated;
    if (options.compress) deflated = detail::deflate_raw(npy);
    const std::span<const uint8_t> data =
        options.compress ? std::span<const uint8_t>(deflated) : std::span<const uint8_t>(npy);
    const uint64_t local_size = 30 + entry.size() + data.size();
    PHYSCNN_CHECK(npy.size() < k32 && offset + local_size < k32, IoError, "write_npz: array '",
                  name, "' (", npy.size(),
                  " bytes as .npy) would take the archive past 4 GiB; "
                  "this writer does not write ZIP64 — use write_npy or HDF5 for data this large");
    bool utf8 = false;
    for (unsigned char ch : entry) utf8 |= ch >= 0x80;
    const uint16_t method = options.compress ? 8 : 0;
    auto header = [&](std::vector<uint8_t>& b, bool is_central) {
      put32(b, is_central ? kCentralSig : kLocalSig);
      if (is_central) put16(b, 20);  // version made by
      put16(b, 20);                  // version needed: 2.0 (deflate)
      put16(b, utf8 ? 0x800 : 0);    // bit 11: UTF-8 name
      put16(b, method);
      put16(b, 0);       // time 00:00
      put16(b, 0x0021);  // date 1980-01-01: fixed, so equal inputs give equal files
      put32(b, crc);
      put32(b, static_cast<uint32_t>(data.size()));
      put32(b, static_cast<uint32_t>(npy.size()));
      put16(b, static_cast<uint16_t>(entry.size()));
      put16(b, 0);  // extra length
      if (is_central) {
        put16(b, 0);            // comment length
        put16(b, 0);            // disk
        put16(b, 0);            // internal attributes
        put32(b, 0644u << 16);  // external attributes: -rw-r--r--
        put32(b, static_cast<uint32_t>(offset));
      }
      b.insert(b.end(), entry.begin(), entry.end());
    };
    std::vector<uint8_t> local;
    header(local, false);
    header(central, true);
    sink(std::span<const uint8_t>(local));
    sink(data);
    offset += local_size;
  }
  PHYSCNN_CHECK(offset + central.size() + 22 < k32, IoError,
                "write_npz: the archive would exceed 4 GiB (ZIP64 is not written)");
  std::vector<uint8_t> eocd;
  put32(eocd, kEocdSig);
  put16(eocd, 0);
  put16(eocd, 0);
  put16(eocd, static_cast<uint16_t>(arrays.size()));
  put16(eocd, static_cast<uint16_t>(arrays.size()));
  put32(eocd, static_cast<uint32_t>(central.size()));
  put32(eocd, static_cast<uint32_t>(offset));
  put16(eocd, 0);
  sink(std::span<const uint8_t>(central));
  sink(std::span<const uint8_t>(eocd));
}
}  // namespace

std::vector<uint8_t> encode_npz(const NamedArrays& arrays, const NpzWriteOptions& options) {
  std::vector<uint8_t> out;
  write_zip(arrays, options,
            [&](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); });
  return out;
}

void write_npz(const std::string& path, const NamedArrays& arrays, const NpzWriteOptions& options) {
  detail::AtomicFile f(path);
  write_zip(arrays, options, [&](std::span<const uint8_t> b) { f.write(b); });
  f.commit();
}

}  // namespace physcnn::data

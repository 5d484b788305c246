// Object headers (HDF5 file format specification 3.0, section IV.A: version 1 and version 2
// headers, continuation blocks) and datatype messages (IV.A.2.d), read from the file's bytes.
#include "data/formats/hdf5_header.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "core/error.hpp"

namespace physcnn::data::detail {

namespace {

constexpr uint16_t kDatatypeMessage = 0x0003;
constexpr uint16_t kContinuationMessage = 0x0010;
constexpr uint16_t kSymbolTableMessage = 0x0011;
constexpr uint64_t kMaxChunkBytes = uint64_t{64} << 20;  // no real header comes near this
constexpr int kMaxChunks = 4096;                         // continuation blocks of one header
constexpr int kMaxTypeDepth = 16;                        // nested compound/array/vlen/enum types

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A bounded reader over one encoded datatype.
class TypeReader {
 public:
  TypeReader(std::span<const uint8_t> bytes, const std::string& where)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()), start_(p_), where_(where) {}

  // Checks one datatype at the current position; returns its size in bytes.
  uint64_t type(int depth) {
    if (depth > kMaxTypeDepth)
      fail("datatypes nested more than " + std::to_string(kMaxTypeDepth) + " deep");
    need(8, "a datatype");
    const int cls = p_[0] & 0x0f, version = p_[0] >> 4;
    const uint32_t bits = uint32_t(le(p_ + 1, 3));
    const uint64_t size = le(p_ + 4, 4);
    p_ += 8;
    if (version < 1 || version > 3)
      fail("datatype version " + std::to_string(version) + " (expected 1 to 3)");
    switch (cls) {
      case 0:  // fixed-point: bit offset, precision
      case 4:  // bitfield: the same
        skip(4, "an integer's properties");
        break;
      case 1:  // floating point: offsets, sizes and bias
        skip(12, "a float's properties");
        break;
      case 2:  // time: precision
        skip(2, "a time's properties");
        break;
      case 3:  // string
      case 7:  // reference
        break;
      case 5:  // opaque: a tag of (bits & 0xff) bytes
        skip(bits & 0xff, "an opaque type's tag");
        break;
      case 6:  // compound
        for (uint32_t m = 0; m < (bits & 0xffff); ++m) {
          name(version, "a compound member's name");
          skip(version == 3 ? offset_bytes(size) : 4, "a compound member's offset");
          if (version == 1) {
            if (*p_ > 4) fail("a compound member of " + std::to_string(*p_) + " dimensions");
            skip(28, "a compound member's dimensions");  // rank, reserved, permutation, 4 dims
          }
          type(depth + 1);
        }
        break;
      case 8: {  // enumeration: base type, names, then members × base size bytes of values
        const uint64_t base = type(depth + 1);
        const uint32_t members = bits & 0xffff;
        for (uint32_t m = 0; m < members; ++m) name(version, "an enum member's name");
        if (base != 0 && members > uint64_t(end_ - p_) / base)
          fail(std::to_string(members) + " enum values of " + std::to_string(base) +
               " bytes each do not fit in the message");
        skip(members * base, "the enum's values");
        break;
      }
      case 9:  // variable length: base type
        type(depth + 1);
        break;
      case 10: {  // array: rank, dimensions (and a permutation in version 2), base type
        need(1, "an array's rank");
        const uint64_t rank = *p_;
        skip(version == 2 ? 4 : 1, "an array's rank");  // version 2 pads the rank to 4 bytes
        skip(rank * (version == 2 ? 8 : 4), "an array's dimensions");
        type(depth + 1);
        break;
      }
      default:
        fail("unknown datatype class " + std::to_string(cls));
    }
    return size;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw IoError(where_ + ": corrupt datatype message (" + what + " at byte " +
                  std::to_string(p_ - start_) + " of " + std::to_string(end_ - start_) +
                  "); refused before libhdf5 decodes it");
  }
  void need(uint64_t n, const char* what) const {
    if (p_ > end_ || n > uint64_t(end_ - p_))
      fail(std::string(what) + " of " + std::to_string(n) + " bytes runs past the message");
  }
  void skip(uint64_t n, const char* what) {
    need(n, what);
    p_ += n;
  }
  // A NUL-terminated name; versions 1 and 2 pad it (with its NUL) to a multiple of 8 bytes.
  void name(int version, const char* what) {
    const auto* nul = static_cast<const uint8_t*>(std::memchr(p_, 0, size_t(end_ - p_)));
    if (nul == nullptr) fail(std::string(what) + " without its terminating NUL");
    const uint64_t len = uint64_t(nul - p_) + 1;
    skip(version == 3 ? len : (len + 7) / 8 * 8, what);
  }
  // Version 3 stores a member's offset in as few bytes as the compound's size needs.
  static uint64_t offset_bytes(uint64_t size) {
    int log2 = 0;
    while (size >> (log2 + 1)) ++log2;
    return uint64_t(log2 / 8 + 1);
  }

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* start_;
  const std::string& where_;
};

class HeaderChecker {
 public:
  HeaderChecker(const std::string& path, const Hdf5Geometry& g, const std::string& where)
      : in_(path, std::ios::binary), g_(g), where_(where) {
    if (!in_) throw IoError(where + ": cannot reopen the file to check its object headers");
  }

  void header(uint64_t addr, int depth) {
    if (depth > 4) fail(addr, "committed datatypes refer to each other more than 4 deep");
    if (!seen_.insert(addr).second) return;
    const std::vector<uint8_t> sig = read(addr, 4, "the object header");
    if (std::memcmp(sig.data(), "OHDR", 4) == 0) {
      const std::vector<uint8_t> pre = read(addr, 6, "the object header");
      if (pre[4] != 2) fail(addr, "OHDR version " + std::to_string(pre[4]) + " (expected 2)");
      const int flags = pre[5];
      uint64_t at = addr + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
      const int width = 1 << (flags & 3);
      const uint64_t size = le(read(at, width, "the object header's size").data(), width);
      messages(at + uint64_t(width), size, 2, flags, depth);
    } else {
      const std::vector<uint8_t> pre = read(addr, 16, "the object header");
      if (pre[0] != 1)
        fail(addr, "object header version " + std::to_string(pre[0]) + " (expected 1 or 2)");
      messages(addr + 16, le(pre.data() + 8, 4), 1, 0, depth);
    }
  }

 private:
  [[noreturn]] void fail(uint64_t addr, const std::string& what) const {
    throw IoError(where_ + ": corrupt object header at address " + std::to_string(addr) + " (" +
                  what + "); refused before libhdf5 decodes it");
  }

  std::vector<uint8_t> read(uint64_t addr, uint64_t n, const char* what) {
    const uint64_t at = g_.base + addr;
    if (at < addr || at > g_.file_size || n > g_.file_size - at)
      fail(addr, std::string(what) + " of " + std::to_string(n) + " bytes lies outside the " +
                     std::to_string(g_.file_size) + "-byte file");
    if (n > kMaxChunkBytes) fail(addr, std::string(what) + " of " + std::to_string(n) + " bytes");
    std::vector<uint8_t> out(n);
    in_.clear();
    in_.seekg(std::streamoff(at));
    in_.read(reinterpret_cast<char*>(out.data()), std::streamsize(n));
    if (!in_) fail(addr, "the file cannot be read there");
    return out;
  }

  // The messages of one chunk, and of the continuation chunks they point at.
  void messages(uint64_t addr, uint64_t size, int version, int flags, int depth) {
    struct Chunk {
      uint64_t addr, size;
    };
    std::vector<Chunk> todo{{addr, size}};
    for (size_t c = 0; c < todo.size(); ++c) {
      if (c >= size_t(kMaxChunks)) fail(addr, "more than 4096 continuation blocks");
      std::vector<uint8_t> chunk = read(todo[c].addr, todo[c].size, "an object header chunk");
      size_t p = 0, end = chunk.size();
      if (version == 2 && c > 0) {  // "OCHK", the messages, a checksum
        if (end < 8 || std::memcmp(chunk.data(), "OCHK", 4) != 0)
          fail(todo[c].addr, "a continuation block without its OCHK signature");
        p = 4;
        end -= 4;
      }
      const size_t head = version == 1 ? 8 : ((flags & 0x04) ? 6 : 4);
      while (end - p >= head) {
        const uint16_t type = uint16_t(version == 1 ? le(&chunk[p], 2) : chunk[p]);
        const uint64_t len = le(&chunk[p + (version == 1 ? 2 : 1)], 2);
        const int msg_flags = chunk[p + (version == 1 ? 4 : 3)];
        p += head;
        if (len > end - p)
          fail(todo[c].addr, "a message of " + std::to_string(len) + " bytes runs past its chunk");
        const std::span<const uint8_t> body(chunk.data() + p, size_t(len));
        if (type == kContinuationMessage) {
          const size_t need = size_t(g_.sizeof_addr + g_.sizeof_size);
          if (len < need) fail(todo[c].addr, "a continuation message too short");
          todo.push_back(
              {le(body.data(), g_.sizeof_addr), le(body.data() + g_.sizeof_addr, g_.sizeof_size)});
        } else if (type == kDatatypeMessage) {
          datatype(body, msg_flags, todo[c].addr, depth);
        } else if (type == kSymbolTableMessage) {  // an old-style group: B-tree, local heap
          if (len < size_t(2 * g_.sizeof_addr))
            fail(todo[c].addr, "a symbol table message too short");
          local_heap(le(body.data() + g_.sizeof_addr, g_.sizeof_addr));
        }
        p += size_t(len);
      }
    }
  }

  // A group's local heap ("HEAP", version 0, the data segment's size and address): libhdf5
  // allocates the declared size, up to 2^64 bytes, before it reads the segment.
  void local_heap(uint64_t addr) {
    const int L = g_.sizeof_size, O = g_.sizeof_addr;
    const std::vector<uint8_t> h = read(addr, uint64_t(8 + 2 * L + O), "a group's local heap");
    if (std::memcmp(h.data(), "HEAP", 4) != 0 || h[4] != 0)
      fail(addr, "a group's local heap without its HEAP signature");
    const uint64_t size = le(h.data() + 8, L), data = le(h.data() + 8 + 2 * L, O);
    if (size > g_.file_size || data > g_.file_size - size)
      fail(addr, "a group's local heap declares " + std::to_string(size) + " bytes at address " +
                     std::to_string(data) + " in a " + std::to_string(g_.file_size) + "-byte file");
  }

  void datatype(std::span<const uint8_t> body, int msg_flags, uint64_t chunk, int depth) {
    if (!(msg_flags & 0x02)) {  // stored here
      TypeReader(body, where_).type(0);
      return;
    }
    // Shared: a committed datatype's header (versions 1 and 2 of the shared-message encoding
    // hold its address after 8 or 2 bytes; version 3 after 2 bytes when its type is 2).
    if (body.size() < 2) fail(chunk, "a shared datatype message too short");
    const int version = body[0];
    size_t at = 0;
    if (version == 1) {
      at = 8;
    } else if (version == 2 || (version == 3 && body[1] == 2)) {
      at = 2;
    } else {
      fail(chunk, "a datatype shared through the file's shared-message heap (not supported)");
    }
    if (body.size() < at + size_t(g_.sizeof_addr))
      fail(chunk, "a shared datatype message too short");
    header(le(body.data() + at, g_.sizeof_addr), depth + 1);
  }

  std::ifstream in_;
  Hdf5Geometry g_;
  const std::string& where_;
  std::set<uint64_t> seen_;
};

}  // namespace

const char* hdf5_class_name(int c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_COMPOUND:
      return "compound";
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length";
    case H5T_ARRAY:
      return "array";
    default:
      return "unknown";
  }
}

void check_hdf5_datatype(std::span<const uint8_t> message, const std::string& where) {
  TypeReader(message, where).type(0);
}

void check_hdf5_object_header(const std::string& path, const Hdf5Geometry& geometry, uint64_t addr,
                              const std::string& where) {
  HeaderChecker(path, geometry, where).header(addr, 0);
}

}  // namespace physcnn::data::detail

// Robustness sweep: every reader gets valid files cut at every length and files with random
// bytes changed. Each must either succeed or throw physcnn::IoError — never crash, hang or read
// out of bounds. Run under the ASan build (-DPHYSCNN_SANITIZE=ON) this turns any out-of-bounds
// read into a failure; in a plain build it still checks that errors are IoError.
#include <functional>
#include <random>

#include "common.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::format_fixture;

namespace {

using Parser = std::function<void(const std::vector<uint8_t>&)>;

enum class Outcome { Ok, IoFailure };

// Runs the parser; anything but success or IoError fails the test with the case description.
Outcome run(const Parser& parse, const std::vector<uint8_t>& bytes, const std::string& what) {
  try {
    parse(bytes);
    return Outcome::Ok;
  } catch (const IoError&) {
    return Outcome::IoFailure;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw a non-IoError: " << e.what();
  }
  return Outcome::IoFailure;
}

// Every proper prefix must be rejected (unless `prefix_may_parse`, for formats with optional
// tails).
void sweep_truncations(const Parser& parse, const std::vector<uint8_t>& file,
                       const std::string& name, bool prefix_may_parse = false) {
  ASSERT_EQ(run(parse, file, name + " intact"), Outcome::Ok) << name;
  for (size_t n = 0; n < file.size(); ++n) {
    std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<long>(n));
    const Outcome o = run(parse, cut, name + " cut to " + std::to_string(n));
    if (!prefix_may_parse) {
      EXPECT_EQ(o, Outcome::IoFailure) << name << " cut to " << n << " bytes parsed";
    }
  }
}

// Random single- and multi-byte corruptions; returns how many were rejected.
int sweep_mutations(const Parser& parse, const std::vector<uint8_t>& file, const std::string& name,
                    int cases, uint32_t seed) {
  std::mt19937 gen(seed);
  int rejected = 0;
  for (int k = 0; k < cases; ++k) {
    auto m = file;
    const int flips = 1 + static_cast<int>(gen() % 4);
    for (int f = 0; f < flips; ++f) {
      const size_t at = gen() % m.size();
      // Mix bit flips with the values that most often break parsers: 0x00, 0xff, 0x7f.
      const uint8_t vals[] = {0x00, 0xff, 0x7f, static_cast<uint8_t>(m[at] ^ (1u << (gen() % 8)))};
      m[at] = vals[gen() % 4];
    }
    rejected += run(parse, m, name + " mutation " + std::to_string(k)) == Outcome::IoFailure;
  }
  return rejected;
}

Array sample_array() {
  std::vector<int16_t> v(60);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int16_t>(i * 1000 - 20000);
  return Array::from_vector(v, Shape{3, 4, 5});
}

}  // namespace

TEST(FormatsFuzz, Npy) {
  const Parser p = [](const std::vector<uint8_t>& b) { parse_npy(b, "fuzz.npy"); };
  for (const char* f : {"f8_be_2x3.npy", "fortran_f8_2x3x4.npy", "v3_f4.npy", "bool_2x3.npy"}) {
    const auto file = physcnn::test::read_bytes(format_fixture(f));
    sweep_truncations(p, file, f);
    sweep_mutations(p, file, f, 400, 1);
  }
}

TEST(FormatsFuzz, Npz) {
  const Parser p = [](const std::vector<uint8_t>& b) {
    NpzReader r(b, "fuzz.npz");
    for (const auto& n : r.names()) r.read(n);
  };
  for (const char* f : {"savez.npz", "savez_compressed.npz"}) {
    const auto file = physcnn::test::read_bytes(format_fixture(f));
    sweep_truncations(p, file, f);
    // Changed data bytes must be caught by the CRC, so nearly all mutations are rejected.
    const int rejected = sweep_mutations(p, file, f, 400, 2);
    EXPECT_GT(rejected, 350) << f;
  }
}

TEST(FormatsFuzz, Idx) {
  const Parser p = [](const std::vector<uint8_t>& b) { parse_idx(b, "fuzz.idx"); };
  const auto raw = encode_idx(sample_array());
  sweep_truncations(p, raw, "raw idx");
  sweep_mutations(p, raw, "raw idx", 300, 3);
  const auto gz = encode_idx(sample_array(), {.gzip = true});
  sweep_truncations(p, gz, "gzipped idx");
  const int rejected = sweep_mutations(p, gz, "gzipped idx", 300, 4);
  EXPECT_GT(rejected, 200);  // gzip's CRC-32 and length trailer catch most changes
}

TEST(FormatsFuzz, Png) {
  const Parser p = [](const std::vector<uint8_t>& b) { decode_png(b, "fuzz.png"); };
  for (const char* f : {"rgb8_2x3.png", "gray16_2x2.png", "rgba8_2x3.png"}) {
    const auto file = physcnn::test::read_bytes(format_fixture(f));
    // stb decodes once the image data is complete, so a missing IEND may still parse.
    sweep_truncations(p, file, f, /*prefix_may_parse=*/true);
    sweep_mutations(p, file, f, 400, 5);
  }
  const auto ours = encode_png(Tensor::full({3, 16, 16}, 0.25));
  sweep_truncations(p, ours, "written png", true);
  sweep_mutations(p, ours, "written png", 400, 6);
}

TEST(FormatsFuzz, Hdf5Truncations) {
  // The HDF5 library is not hardened against arbitrary corruption (see its CVE list), so we
  // only check truncation, which it detects on open by comparing its stored EOF.
  physcnn::test::ScratchDir dir;
  const auto file = physcnn::test::read_bytes(format_fixture("h5py.h5"));
  for (size_t n = 0; n < file.size(); n += 997) {
    physcnn::test::write_bytes(
        dir.file("cut.h5"),
        std::vector<uint8_t>(file.begin(), file.begin() + static_cast<long>(n)));
    EXPECT_EQ(
        run([&](const std::vector<uint8_t>&) { read_hdf5(dir.file("cut.h5"), "/group/sub/spins"); },
            {}, "h5 cut to " + std::to_string(n)),
        Outcome::IoFailure)
        << n;
  }
}

// A FIFO (or any other non-regular file) given as data is refused at once with an error naming
// it, for every format read through a memory map (npy, npz, IDX, PNG): opening a FIFO for
// reading used to wait for a writer forever.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "common.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"

using namespace physcnn;
using physcnn::test::throws_with;

TEST(FormatsFifo, EveryMappedFormatRefusesAFifoAtOnce) {
  physcnn::test::ScratchDir dir;
  const std::string fifo = dir.file("data.npy");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::pair<const char*, std::function<void()>>> readers = {
      {"npy", [&] { data::read_npy(fifo); }},
      {"npz", [&] { data::read_npz(fifo); }},
      {"idx", [&] { data::read_idx(fifo); }},
      {"png", [&] { data::read_png(fifo); }},
  };
  for (const auto& [name, read] : readers) {
    SCOPED_TRACE(name);
    // Should a reader block, a writer opening the FIFO after 3 s releases it, and the elapsed
    // time below fails the test instead of hanging the suite.
    bool done = false;
    std::thread release([&] {
      for (int i = 0; i < 30 && !__atomic_load_n(&done, __ATOMIC_SEQ_CST); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (__atomic_load_n(&done, __ATOMIC_SEQ_CST)) return;
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(throws_with<IoError>(read, {"data.npy", "not a regular file"}));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    __atomic_store_n(&done, true, __ATOMIC_SEQ_CST);
    release.join();
    EXPECT_LT(seconds, 1.0);
  }
}

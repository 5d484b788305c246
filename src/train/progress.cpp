// Terminal progress bar with rate and ETA.
#include "train/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace physcnn::train {

Progress::Progress(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      quiet_(quiet),
      tty_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && tty_ && !quiet_) std::fputc('\n', stderr);
}

bool Progress::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) != 0;
}

void Progress::update(int64_t done, const std::string& status) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (tty_) {
    // Redraw at most 10 times a second.
    if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    const int width = 28;
    const double frac = total_ > 0 ? double(done) / double(total_) : 1.0;
    const int filled = int(frac * width);
    std::string bar(size_t(filled), '#');
    bar.append(size_t(width - filled), '.');
    const double eta = done > 0 ? elapsed * double(total_ - done) / double(done) : 0.0;
    std::fprintf(stderr, "\r%s [%s] %lld/%lld  %.0fs elapsed, ETA %.0fs  %s\x1b[K", label_.c_str(),
                 bar.c_str(), (long long)done, (long long)total_, elapsed, eta, status.c_str());
    std::fflush(stderr);
  }
  // Not a terminal (a log file, CI): finish() writes one line, which keeps logs short.
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  if (!tty_ && !quiet_) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s: %lld steps in %.1fs  %s\n", label_.c_str(), (long long)total_,
                 elapsed, status.c_str());
  }
  update(total_, status);
  if (tty_ && !quiet_) std::fputc('\n', stderr);
  finished_ = true;
}

}  // namespace physcnn::train

// Opens the report of a small real run in headless Chromium (Debian `chromium`): every image
// must load (the page's own check marks <body data-images-ok>), the console must stay free of
// errors, and a screenshot is kept as a test artefact next to the test binary. Skipped when
// Chromium is absent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "report/report.hpp"
#include "report/run_folder.hpp"

namespace fs = std::filesystem;

namespace {

std::string find_chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv in its own process group with stdout/stderr to files; kills the whole group after
// timeout_s (and at the end, for helpers Chromium leaves behind). Returns the exit status, or
// -1 on timeout.
int run_bounded(const std::vector<std::string>& argv, const std::string& out,
                const std::string& err, int timeout_s) {
  // Everything the child needs is prepared before fork: between fork and exec in a threaded
  // process only async-signal-safe calls are allowed (no allocation).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    setpgid(0, 0);
    const int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fo < 0 || fe < 0) _exit(126);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so the group exists before we might kill it
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid, SIGKILL);  // leftovers of this group only; ESRCH when none
  return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

std::vector<std::string> chromium_args(const std::string& chromium, const std::string& profile) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--hide-scrollbars",
          "--user-data-dir=" + profile,
          "--virtual-time-budget=5000"};
}

}  // namespace

TEST(ReportChromium, EveryImageLoadsWithoutConsoleErrors) {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "Chromium not found (/usr/bin/chromium): install Debian's `chromium` "
                    "package (scripts/setup.sh does) to check the report in a browser";
  const std::string dir = physcnn::test::fresh_dir("chromium");
  const std::string run = dir + "/run";
  physcnn::test::make_run_folder(run);
  const auto r =
      physcnn::report::write_run_report(run, {.model = physcnn::test::make_run_model(true)});
  const std::string url = "file://" + fs::absolute(r.index).string();

  // 1. The DOM after load, with the console on stderr.
  auto args = chromium_args(chromium, dir + "/profile1");
  args.insert(args.end(), {"--enable-logging=stderr", "--v=0", "--dump-dom", url});
  const int rc = run_bounded(args, dir + "/dom.html", dir + "/console.txt", 60);
  ASSERT_EQ(rc, 0) << "chromium failed (" << rc << "); stderr:\n" << slurp(dir + "/console.txt");
  const std::string dom = slurp(dir + "/dom.html");
  // std::regex is avoided: GCC 12 warns inside it under -fsanitize (maybe-uninitialized).
  const size_t b0 = dom.find("<body"), b1 = dom.find('>', b0);
  ASSERT_TRUE(b0 != std::string::npos && b1 != std::string::npos) << dom.substr(0, 500);
  const std::string body = dom.substr(b0, b1 - b0 + 1);
  EXPECT_NE(body.find("data-images-ok=\"yes\""), std::string::npos) << body;
  const std::string key = "data-images=\"";
  const size_t k = body.find(key);
  ASSERT_NE(k, std::string::npos) << body;
  const size_t png_count = std::count_if(r.pictures.begin(), r.pictures.end(),
                                         [](const std::string& p) { return p.ends_with(".png"); });
  EXPECT_EQ(std::stoul(body.substr(k + key.size())), png_count) << "every PNG is shown once";
  std::istringstream console(slurp(dir + "/console.txt"));
  for (std::string line; std::getline(console, line);)
    EXPECT_TRUE(line.find(":CONSOLE") == std::string::npos &&
                line.find("Uncaught") == std::string::npos)
        << "console message: " << line;

  // 2. The screenshot, kept next to the test binary (build/tests/) as an artefact.
  const std::string shot =
      (fs::read_symlink("/proc/self/exe").parent_path() / "report_screenshot.png").string();
  fs::remove(shot);
  args = chromium_args(chromium, dir + "/profile2");
  args.insert(args.end(), {"--window-size=1280,2400", "--screenshot=" + shot, url});
  EXPECT_EQ(run_bounded(args, dir + "/shot.out", dir + "/shot.err", 60), 0)
      << slurp(dir + "/shot.err");
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 20000u);
  RecordProperty("screenshot", shot);
  std::printf("screenshot: %s\n", shot.c_str());
}

// predictions.csv: every network's P(ordered) on every held-out configuration of one size, so
// that the analysis (error_model.hpp) can be repeated on a finished run folder.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "physics/ising_study/error_model.hpp"

namespace physcnn::physics::ising {

void write_predictions(const std::string& path, const SizePredictions& p) {
  io::write_file_atomic(path, [&](std::ostream& out) {
    out << "T";
    for (size_t k = 0; k < p.member_p.size(); ++k) out << ",net" << k + 1;
    out << "\n" << std::setprecision(9);
    for (size_t i = 0; i < p.temperature.size(); ++i) {
      out << p.temperature[i];
      for (const auto& m : p.member_p) out << "," << m[i];
      out << "\n";
    }
  });
}

// Columns: T, then any number of net<k>; other columns (older runs wrote abs_m) are skipped.
SizePredictions read_predictions(const std::string& path, int64_t size) {
  std::ifstream in(path);
  PHYSCNN_CHECK(in.good(), IoError, path, ": cannot open (a run folder of `physcnn ising` keeps ",
                "one per lattice size)");
  std::string line;
  std::getline(in, line);
  std::vector<int> role;  // -1 skip, 0 temperature, k >= 1 network k
  {
    std::stringstream h(line);
    std::string col;
    int nets = 0;
    while (std::getline(h, col, ','))
      role.push_back(col == "T" ? 0 : col.rfind("net", 0) == 0 ? ++nets : -1);
    PHYSCNN_CHECK(!role.empty() && role.front() == 0 && nets > 0, IoError, path,
                  ": header must be T,net1,... (found '", line, "')");
  }
  SizePredictions p;
  p.size = size;
  int nets = 0;
  for (int r : role) nets = std::max(nets, r);
  p.member_p.resize(size_t(nets));
  int64_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty()) continue;
    std::stringstream ls(line);
    std::string cell;
    size_t c = 0;
    for (; std::getline(ls, cell, ','); ++c) {
      PHYSCNN_CHECK(c < role.size(), IoError, path, ":", row, ": more columns than the header");
      if (role[c] < 0) continue;
      double v = 0;
      try {
        v = std::stod(cell);
      } catch (const std::exception&) {
        throw IoError(path + ":" + std::to_string(row) + ": '" + cell + "' is not a number");
      }
      if (role[c] == 0)
        p.temperature.push_back(v);
      else
        p.member_p[size_t(role[c] - 1)].push_back(v);
    }
    PHYSCNN_CHECK(c == role.size(), IoError, path, ":", row, ": ", c, " columns, expected ",
                  role.size());
  }
  PHYSCNN_CHECK(!p.temperature.empty(), IoError, path, ": no configurations");
  return p;
}

}  // namespace physcnn::physics::ising

namespace physcnn::physics::ising {

FiniteSizeResult analyse_run_folder(const std::string& dir, const ErrorModelOptions& options) {
  std::vector<SizePredictions> sizes;
  std::vector<int64_t> found;
  PHYSCNN_CHECK(std::filesystem::is_directory(dir), IoError, dir,
                ": not a directory (want the run folder of a finished `physcnn ising`)");
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.size() > 1 && name[0] == 'L' &&
        name.find_first_not_of("0123456789", 1) == std::string::npos &&
        std::filesystem::is_regular_file(e.path() / "predictions.csv"))
      found.push_back(std::stoll(name.substr(1)));
  }
  std::sort(found.begin(), found.end());
  PHYSCNN_CHECK(found.size() >= 2, IoError, dir,
                ": needs L<L>/predictions.csv for >= 2 sizes, found ", found.size(),
                " (is it a finished run folder of `physcnn ising`?)");
  for (int64_t L : found)
    sizes.push_back(read_predictions(dir + "/L" + std::to_string(L) + "/predictions.csv", L));
  return analyse_finite_size(sizes, options);
}

}  // namespace physcnn::physics::ising

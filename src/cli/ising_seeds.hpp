// `physcnn ising --seeds A-B`: the study once per seed, a table of T_c and nu per seed and the
// coverage of the stated errors (how often Onsager's T_c lies within 1, 2, 3 sigma).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "physics/ising_study/study.hpp"

namespace physcnn::cli {

// "1-20", "1,4,7" or "5" -> the seeds; UsageError naming --seeds otherwise.
std::vector<uint64_t> parse_seeds(const std::string& text);

// Runs the study with `base` for every seed (run folder <base.out_dir>/seed<N>), prints the
// table and the coverage, writes <out_dir>/seeds.csv. With analyse_only the run folders must
// exist: only their analysis is repeated (physics::ising::analyse_run_folder). Returns 0.
int run_seed_sweep(const physics::ising::StudyOptions& base, const std::vector<uint64_t>& seeds,
                   bool analyse_only);

// The result lines every Ising run prints: T_c ± error (with its parts) and nu ± error.
void print_finite_size_result(const physics::ising::FiniteSizeResult& f);

// Prints the analysis of one finished run folder (`physcnn ising --analyse DIR`).
int print_run_analysis(const std::string& dir, const physics::ising::StudyOptions& base);

}  // namespace physcnn::cli

// The report page of a `physcnn nqs` run folder: the energy per site against iteration with the
// exact line, the distance to it, the final estimate and the study file.
#pragma once

#include <string>

#include "report/report.hpp"

namespace physcnn::report {

// A folder written by `physcnn nqs`: energy.csv and no metrics.json.
bool is_nqs_run(const std::string& run_dir);

// Reads RUN/energy.csv (iteration, energy_per_site, error_per_site, variance, acceptance,
// seconds), RUN/result.json (the final estimate, absent while the run goes on or after a stop)
// and RUN/study.toml, writes RUN/report/energy.png|svg (and error.png|svg when an exact value is
// known) and RUN/index.html. IoError naming the file for a malformed energy.csv or result.json.
ReportResult write_nqs_report(const std::string& run_dir, const ReportOptions& options = {});

}  // namespace physcnn::report

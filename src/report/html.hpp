// HTML pieces of the run report (internal to report/): escaping, figures, tables, notes and the
// page frame with inline CSS, live reload and the image check that the Chromium test reads.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/run_data.hpp"

namespace physcnn::report::html {

std::string escape(const std::string& s);
// <figure> with the PNG (linking to the SVG when svg is not empty) and its caption.
std::string figure(const std::string& png, const std::string& svg, const std::string& caption);
std::string note(const std::string& text);  // a visible "why this section is empty"
std::string preformatted(const std::string& title, const std::string& text);
std::string metrics_table(const RunMetrics& m);  // one row per epoch, every column
std::string key_values(const std::vector<std::pair<std::string, double>>& values);
std::string per_class_table(const EvalResults& e);  // precision, recall and F1 per class

struct Page {
  std::string title, headline;
  bool running = false;
  int refresh_seconds = 10;
  std::string summary;             // the model summary table (plain text)
  std::string body;                // curves, test set, model sections
  std::string config;              // configuration section
  std::vector<std::string> files;  // data files of the run to link
};
std::string render(const Page& page);

}  // namespace physcnn::report::html

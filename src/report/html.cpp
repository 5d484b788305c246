// The report page: self-contained HTML (inline CSS, relative image links, no scripts or fonts
// from the network). A small inline script checks after load that every image decoded and
// writes the result on <body> (data-images-ok), which the headless-Chromium test reads.
#include "report/html.hpp"

#include "viz/figure.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace physcnn::report::html {

namespace {

std::string num(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

const char* kStyle =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;"
    "color:#222}\n"
    "nav a{margin-right:1em}\n"
    ".headline{font-size:1.2em;font-weight:bold;padding:.6em;background:#eef4fa;"
    "border-left:4px solid #0072b2}\n"
    ".running{color:#a35a00;font-weight:bold}\n"
    ".note{color:#555;font-style:italic;background:#f7f7f7;padding:.4em .7em}\n"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;"
    "padding:.2em .6em;text-align:right}th{background:#f2f2f2}\n"
    "pre{background:#f7f7f7;padding:.7em;overflow-x:auto;font-size:.85em}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{flex:1 1 520px}\n"
    "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}\n";

// Marks <body> with how many images failed to decode; logs each failure as a console error.
const char* kImageCheck =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, bad = 0;\n"
    "  for (var i = 0; i < imgs.length; ++i)\n"
    "    if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) {\n"
    "      ++bad;\n"
    "      console.error('image did not load: ' + imgs[i].getAttribute('src'));\n"
    "    }\n"
    "  document.body.setAttribute('data-images', String(imgs.length));\n"
    "  document.body.setAttribute('data-images-failed', String(bad));\n"
    "  document.body.setAttribute('data-images-ok', bad === 0 ? 'yes' : 'no');\n"
    "});\n"
    "</script>\n";

}  // namespace

std::string escape(const std::string& s) {
  return viz::xml_escape(s);
}

std::string figure(const std::string& png, const std::string& svg, const std::string& caption) {
  std::string img = "<img src=\"" + escape(png) + "\" alt=\"" + escape(caption) + "\">";
  if (!svg.empty()) img = "<a href=\"" + escape(svg) + "\">" + img + "</a>";
  std::string cap = escape(caption);
  if (!svg.empty()) cap += " (<a href=\"" + escape(svg) + "\">SVG</a>)";
  return "<figure>" + img + "<figcaption>" + cap + "</figcaption></figure>\n";
}

std::string note(const std::string& text) {
  return "<p class=\"note\">" + escape(text) + "</p>\n";
}

std::string preformatted(const std::string& title, const std::string& text) {
  return "<h3>" + escape(title) + "</h3>\n<pre>" + escape(text) + "</pre>\n";
}

std::string metrics_table(const RunMetrics& m) {
  std::ostringstream h;
  h << "<details><summary>Metrics per epoch (table)</summary>\n<table>\n<tr><th>epoch</th>";
  for (const auto& [key, _] : m.columns) h << "<th>" << escape(key) << "</th>";
  h << "</tr>\n";
  for (size_t e = 0; e < m.epoch.size(); ++e) {
    h << "<tr><td>" << num(m.epoch[e], "%.0f") << "</td>";
    for (const auto& [_, col] : m.columns) h << "<td>" << num(col[e]) << "</td>";
    h << "</tr>\n";
  }
  h << "</table>\n</details>\n";
  return h.str();
}

std::string key_values(const std::vector<std::pair<std::string, double>>& values) {
  if (values.empty()) return "";
  std::string s = "<table>\n";
  for (const auto& [key, value] : values)
    s += "<tr><th>" + escape(key) + "</th><td>" + num(value, "%.6g") + "</td></tr>\n";
  return s + "</table>\n";
}

std::string per_class_table(const EvalResults& e) {
  std::string s =
      "<table>\n<tr><th>class</th><th>samples</th><th>precision</th><th>recall</th>"
      "<th>F1</th></tr>\n";
  for (size_t c = 0; c < e.confusion.size(); ++c) {
    double count = 0;
    for (double v : e.confusion[c]) count += v;
    const std::string name = c < e.class_names.size() ? e.class_names[c] : std::to_string(c);
    s += "<tr><th>" + escape(name) + "</th><td>" + num(count, "%.0f") + "</td><td>" +
         num(e.precision(c), "%.3f") + "</td><td>" + num(e.recall(c), "%.3f") + "</td><td>" +
         num(2 * e.precision(c) * e.recall(c) / (e.precision(c) + e.recall(c)), "%.3f") +
         "</td></tr>\n";
  }
  return s + "</table>\n";
}

std::string render(const Page& p) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Live view: while the run goes on the page reloads itself and shows the newest pictures.
  if (p.running) h << "<meta http-equiv=\"refresh\" content=\"" << p.refresh_seconds << "\">\n";
  h << "<link rel=\"icon\" href=\"data:,\">\n"  // no favicon request
    << "<title>physcnn run " << escape(p.title) << "</title>\n<style>\n"
    << kStyle << "</style>\n</head>\n<body>\n";
  h << "<h1>Run " << escape(p.title) << "</h1>\n";
  h << "<nav><a href=\"#summary\">model</a><a href=\"#curves\">curves</a><a href=\"#test\">test "
       "set</a><a href=\"#filters\">filters</a><a href=\"#features\">feature maps</a><a "
       "href=\"#config\">configuration</a></nav>\n";
  if (p.running)
    h << "<p class=\"running\">Run in progress: this page reloads every " << p.refresh_seconds
      << " s.</p>\n";
  if (!p.headline.empty()) h << "<p class=\"headline\">" << escape(p.headline) << "</p>\n";
  h << "<h2 id=\"summary\">Model</h2>\n";
  if (p.summary.empty())
    h << note("No summary.txt and no model to summarise.");
  else
    h << "<pre>" << escape(p.summary) << "</pre>\n";
  h << p.body;
  h << "<h2 id=\"config\">Configuration</h2>\n" << p.config;
  if (!p.files.empty()) {
    h << "<p>Data:";
    for (const auto& f : p.files) h << " <a href=\"" << escape(f) << "\">" << escape(f) << "</a>";
    h << "</p>\n";
  }
  h << kImageCheck << "</body>\n</html>\n";
  return h.str();
}

}  // namespace physcnn::report::html

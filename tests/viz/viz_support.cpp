// Implementation of the viz test helpers.
#include "viz_support.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace physcnn::viz::test {

namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& name) {
  path_ = (fs::temp_directory_path() / ("physcnn_viz_" + name + "_" + std::to_string(::getpid())))
              .string();
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  // PHYSCNN_VIZ_KEEP=1 keeps the pictures for a look (they are meant to be seen).
  if (std::getenv("PHYSCNN_VIZ_KEEP")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> ScratchDir::temp_files() const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(path_))
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

PngInfo read_png_info(const std::string& path) {
  const std::string b = read_file(path);
  PngInfo info;
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 24) return info;
  info.signature_ok =
      b.compare(0, 8, reinterpret_cast<const char*>(sig), 8) == 0 && b.compare(12, 4, "IHDR") == 0;
  const auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
  };
  info.width = be32(16);
  info.height = be32(20);
  return info;
}

std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  size_t i = 0, roots = 0;
  const auto where = [&](const std::string& what) {
    return what + " at offset " + std::to_string(i) + ": '" + x.substr(i, 40) + "'";
  };
  while (i < x.size()) {
    if (x[i] == '&') {
      const size_t semi = x.find(';', i);
      if (semi == std::string::npos || semi - i > 10) return where("bare '&'");
      const std::string ent = x.substr(i + 1, semi - i - 1);
      if (ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos" &&
          ent[0] != '#')
        return where("unknown entity");
      i = semi + 1;
      continue;
    }
    if (x[i] != '<') {
      if (x[i] == '>') return where("stray '>'");
      ++i;
      continue;
    }
    if (x.compare(i, 4, "<!--") == 0) {
      const size_t e = x.find("-->", i);
      if (e == std::string::npos) return where("unclosed comment");
      i = e + 3;
    } else if (x.compare(i, 2, "<?") == 0) {
      const size_t e = x.find("?>", i);
      if (e == std::string::npos) return where("unclosed processing instruction");
      i = e + 2;
    } else if (x.compare(i, 9, "<![CDATA[") == 0) {
      const size_t e = x.find("]]>", i);
      if (e == std::string::npos) return where("unclosed CDATA");
      i = e + 3;
    } else if (x.compare(i, 2, "</") == 0) {
      const size_t e = x.find('>', i);
      if (e == std::string::npos) return where("unclosed end tag");
      std::string name = x.substr(i + 2, e - i - 2);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
        name.pop_back();
      if (stack.empty() || stack.back() != name)
        return where("end tag </" + name + "> does not match <" +
                     (stack.empty() ? std::string("none") : stack.back()) + ">");
      stack.pop_back();
      i = e + 1;
    } else {
      // Start tag: name, then attributes name="value" or name='value', then > or />.
      size_t j = i + 1;
      while (j < x.size() && !std::isspace(static_cast<unsigned char>(x[j])) && x[j] != '>' &&
             x[j] != '/')
        ++j;
      const std::string name = x.substr(i + 1, j - i - 1);
      if (name.empty()) return where("empty tag name");
      bool self_closing = false;
      while (true) {
        while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
        if (j >= x.size()) return where("unclosed start tag");
        if (x[j] == '>') break;
        if (x.compare(j, 2, "/>") == 0) {
          self_closing = true;
          ++j;
          break;
        }
        const size_t eq = x.find('=', j);
        if (eq == std::string::npos || eq + 1 >= x.size()) return where("attribute without value");
        const char q = x[eq + 1];
        if (q != '"' && q != '\'') return where("unquoted attribute");
        const size_t close = x.find(q, eq + 2);
        if (close == std::string::npos) return where("unclosed attribute");
        if (x.substr(eq + 2, close - eq - 2).find('<') != std::string::npos)
          return where("'<' in attribute");
        j = close + 1;
      }
      if (stack.empty()) ++roots;
      if (!self_closing) stack.push_back(name);
      i = j + 1;
    }
  }
  if (!stack.empty()) return "unclosed element <" + stack.back() + "> at end of document";
  if (roots != 1) return "expected one root element, found " + std::to_string(roots);
  return "";
}

}  // namespace physcnn::viz::test

// fontconfig (loaded by cairo's text) keeps its configuration in process-lifetime globals that
// LeakSanitizer reports at exit in the PHYSCNN_SANITIZE build; they are not leaks of ours.
// LSan looks this hook up by name; in a build without sanitizers it is never called.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n";
}

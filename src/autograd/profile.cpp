// The per-thread profile session, its scope stack and rows.
#include "autograd/profile.hpp"

#include <ctime>

#include "core/error.hpp"

namespace physcnn::autograd::profile {

namespace {
thread_local Session* g_session = nullptr;
}  // namespace

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Session::Session() {
  PHYSCNN_CHECK(g_session == nullptr, UsageError,
                "profile: a session is already active on this thread");
  g_session = this;
}
Session::~Session() {
  g_session = nullptr;
}

void Session::clear() {
  for (Row& r : rows_) r.forward_s = r.backward_s = 0, r.calls = 0;
}

int32_t Session::row(const std::string& name) {
  for (size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].name == name) return static_cast<int32_t>(i);
  rows_.push_back({.name = name});
  return static_cast<int32_t>(rows_.size() - 1);
}

bool active() {
  return g_session != nullptr;
}

Scope::Scope(const std::string& name) {
  Session* s = g_session;
  if (!s) return;
  on_ = true;
  const int32_t r = s->row(name);
  ++s->rows_[size_t(r)].calls;
  s->stack_.push_back({.row = r, .start = cpu_seconds(), .children = 0});
}

Scope::~Scope() {
  Session* s = g_session;
  if (!on_ || !s || s->stack_.empty()) return;
  const Session::Frame f = s->stack_.back();
  s->stack_.pop_back();
  const double elapsed = cpu_seconds() - f.start;
  s->rows_[size_t(f.row)].forward_s += elapsed - f.children;
  if (!s->stack_.empty()) s->stack_.back().children += elapsed;
}

int32_t current_row() {
  const Session* s = g_session;
  return s && !s->stack_.empty() ? s->stack_.back().row : -1;
}

void add_backward(int32_t row, double seconds) {
  Session* s = g_session;
  if (!s) return;
  if (row < 0 || size_t(row) >= s->rows_.size()) row = s->row("(outside any module)");
  s->rows_[size_t(row)].backward_s += seconds;
}

}  // namespace physcnn::autograd::profile

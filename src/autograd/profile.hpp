// Where a training step's time goes: per module (forward) and per op's module (backward), measured
// inside the real step, so fused layers, graphs and micro-batches are timed as they run.
// Off unless a profile::Session is alive on the calling thread; then every Module call and every
// backward node adds its process CPU time (all threads) to a named row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace physcnn::autograd::profile {

struct Row {
  std::string name;
  double forward_s = 0, backward_s = 0;  // process CPU seconds, self time (children excluded)
  int64_t calls = 0;                     // forward calls
};

// Collects rows on this thread while alive. Not nestable.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::vector<Row>& rows() const { return rows_; }
  void clear();  // zero every row, keep their order
  int32_t row(const std::string& name);

 private:
  friend class Scope;
  friend void add_backward(int32_t, double);
  friend int32_t current_row();
  struct Frame {
    int32_t row;
    double start, children;
  };
  std::vector<Row> rows_;
  std::vector<Frame> stack_;
};

bool active();
// Times the enclosing block as `name`'s forward (self time: nested scopes count for themselves).
// Does nothing when no session is active (hot paths check active() before building the name).
class Scope {
 public:
  explicit Scope(const std::string& name);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool on_ = false;
};

// The row of the innermost scope (-1: none, or no session): recorded in each op node so that
// its backward is charged to the module that ran its forward.
int32_t current_row();
void add_backward(int32_t row, double seconds);
double cpu_seconds();  // process CPU time (all threads)

}  // namespace physcnn::autograd::profile

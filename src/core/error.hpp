// Error hierarchy and check macros. Every error a user can cause is an exception with context;
// only cli/main.cpp catches everything and maps the kind to an exit code.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace physcnn {

// Base of every physcnn error. `exit_code()` is what the CLI returns for it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  virtual int exit_code() const { return 1; }
};

// Bad arguments, configuration or layer geometry (exit 2).
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// Shapes that do not fit an op or module (a usage error: the model is mis-specified).
class ShapeError : public UsageError {
 public:
  using UsageError::UsageError;
};

// Files that are missing, truncated or corrupt (exit 3).
class IoError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

// NaN/Inf or a diverging computation (exit 4).
class NumericalError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 4; }
};

namespace detail {
// Streams any number of arguments into one string; used by the check macros.
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace physcnn

// PHYSCNN_CHECK(cond, ErrorType, msg...) throws ErrorType(msg) when cond is false.
#define PHYSCNN_CHECK(cond, ErrorType, ...)                            \
  do {                                                                 \
    if (!(cond)) throw ErrorType(::physcnn::detail::cat(__VA_ARGS__)); \
  } while (0)

#define PHYSCNN_CHECK_SHAPE(cond, ...) PHYSCNN_CHECK(cond, ::physcnn::ShapeError, __VA_ARGS__)
#define PHYSCNN_CHECK_ARG(cond, ...) PHYSCNN_CHECK(cond, ::physcnn::UsageError, __VA_ARGS__)

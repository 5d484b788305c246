// Internal pieces shared by inspect.cpp and probe.cpp (not part of the API): scoped evaluation
// mode and a scoped forward observer.
#pragma once

#include <string>

#include "nn/module.hpp"

namespace physcnn::nn::detail {

// Evaluation mode for the scope; restores the mode and clears parameter gradients on exit.
class EvalScope {
 public:
  explicit EvalScope(Module& m);
  ~EvalScope();
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  Module& model_;
  bool was_training_;
};

// Installs fn as this thread's forward observer for the scope (restores the previous one).
class ObserverScope {
 public:
  explicit ObserverScope(ForwardObserver fn);
  ~ObserverScope();
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;

 private:
  ForwardObserver fn_;
  ForwardObserver* previous_;
};

// "features.0 (Conv2d), features.1 (ReLU), ..." for error messages.
std::string module_paths(Module& model);

}  // namespace physcnn::nn::detail

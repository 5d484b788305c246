// Global backend selection (fast by default).
#include "kernels/backend.hpp"

#include <atomic>

namespace physcnn::kernels {

namespace {
std::atomic<Backend> g_backend{Backend::Fast};
}

Backend backend() {
  return g_backend.load();
}
void set_backend(Backend b) {
  g_backend = b;
}

}  // namespace physcnn::kernels

// Thread-count control over OpenMP.
#include "core/parallel.hpp"

#include <omp.h>

namespace physcnn {

int num_threads() {
  return omp_get_max_threads();
}
void set_num_threads(int n) {
  omp_set_num_threads(n < 1 ? 1 : n);
}
bool in_parallel_region() {
  return omp_in_parallel() != 0;
}

}  // namespace physcnn

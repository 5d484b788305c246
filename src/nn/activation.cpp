// Parameter-free layers that check their dimension argument against the input.
#include "nn/activation.hpp"

namespace physcnn::nn {

namespace {
void check_dim(int64_t dim, const Var& x) {
  PHYSCNN_CHECK_SHAPE(dim >= -x.dim() && dim < x.dim(), "dim ", dim, " out of range for input ",
                      x.shape().str());
}
}  // namespace

Var Softmax::forward(const Var& x) {
  check_dim(o_.dim, x);
  return autograd::softmax(x, o_.dim);
}

Var LogSoftmax::forward(const Var& x) {
  check_dim(o_.dim, x);
  return autograd::log_softmax(x, o_.dim);
}

Var Flatten::forward(const Var& x) {
  check_dim(o_.start_dim, x);
  return autograd::flatten(x, o_.start_dim);
}

}  // namespace physcnn::nn

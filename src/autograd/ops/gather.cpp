// take: out.flat[i] = a.flat[index[i]], as torch.take; its backward scatter-adds. The group
// convolutions build their rotated and flipped filter banks with it (nn/group_conv.cpp).
#include "autograd/functional.hpp"

namespace physcnn::autograd {

namespace {

template <class T>
void gather_into(const T* a, const int64_t* index, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[index[i]];
}

// grad_a.flat[index[i]] += grad_out.flat[i]; in index order, so the sum repeats bit for bit.
template <class T>
void scatter_add_into(const T* grad_out, const int64_t* index, T* grad_a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_a[index[i]] += grad_out[i];
}

}  // namespace

Tensor take(const Tensor& a, const std::vector<int64_t>& index, const Shape& shape) {
  PHYSCNN_CHECK_SHAPE(shape.numel() == static_cast<int64_t>(index.size()), "take: ", index.size(),
                      " indices for an output of shape ", shape.str());
  const Tensor src = a.contiguous();
  for (int64_t i : index)
    PHYSCNN_CHECK_SHAPE(i >= 0 && i < src.numel(), "take: index ", i, " outside [0, ", src.numel(),
                        ") of shape ", src.shape().str());
  Tensor out = Tensor::empty(shape, src.dtype());
  PHYSCNN_DISPATCH(src.dtype(), T,
                   { gather_into<T>(src.data<T>(), index.data(), out.data<T>(), shape.numel()); });
  return out;
}

Var take(const Var& a, std::shared_ptr<const std::vector<int64_t>> index, const Shape& shape) {
  PHYSCNN_CHECK_ARG(index != nullptr, "take: no index");
  const Shape sa = a.shape();
  return make_op("take", take(a.value(), *index, shape), {a}, [index, sa](Grads& g) {
    const Tensor go = g.out.contiguous();
    Tensor ga = Tensor::zeros(sa, go.dtype());
    PHYSCNN_DISPATCH(go.dtype(), T, {
      scatter_add_into<T>(go.data<T>(), index->data(), ga.data<T>(), go.numel());
    });
    g.in[0] = ga;
  });
}

}  // namespace physcnn::autograd

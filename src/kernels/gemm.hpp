// Row-major GEMM: C = alpha * op(A) op(B) + beta * C, with op(X) = X or X^T.
// A is (M,K) after op, B is (K,N) after op, C is (M,N); lda/ldb/ldc are row strides.
#pragma once

#include <cstdint>

namespace physcnn::kernels {

// Plain triple loop; the oracle.
template <class T>
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// Dispatches to oneDNN's JIT sgemm for float on the fast backend, else the reference.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace physcnn::kernels

// What the .cu files share: the block size, the grid for a count of threads,
// and the fixed-order block sum of the per-channel gradient kernels.
#pragma once

#include <cstdint>

namespace hornet::ops::kernels {

constexpr int kThreads = 256;

inline unsigned blocks_for(int64_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

/// Sums each thread's (a, b) over a block of kThreads threads as a tree in
/// shared memory: the order is fixed, so the result does not depend on timing.
/// Thread 0 writes the sums to *out_a and *out_b.
__device__ inline void block_sum_pair(float a, float b, float* out_a, float* out_b) {
  __shared__ float sa[kThreads], sb[kThreads];
  sa[threadIdx.x] = a;
  sb[threadIdx.x] = b;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) {
      sa[threadIdx.x] += sa[threadIdx.x + half];
      sb[threadIdx.x] += sb[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *out_a = sa[0];
    *out_b = sb[0];
  }
}

}  // namespace hornet::ops::kernels

// Marks a function for both the CPU and the GPU: the per-element and per-row
// math of hornet's CUDA kernels is written once, in such functions, so that a
// CPU twin runs the very arithmetic the kernels run and the tests check it on
// machines without a GPU.
#pragma once

#include <cmath>

#ifdef __CUDACC__
#define HORNET_HD __host__ __device__ __forceinline__
#else
#define HORNET_HD inline
#endif

namespace hornet::ops::kernels {

HORNET_HD float hd_rsqrt(float v) {
#ifdef __CUDA_ARCH__
  return rsqrtf(v);
#else
  return 1.0f / std::sqrt(v);
#endif
}
HORNET_HD double hd_rsqrt(double v) {
#ifdef __CUDA_ARCH__
  return rsqrt(v);
#else
  return 1.0 / std::sqrt(v);
#endif
}

}  // namespace hornet::ops::kernels

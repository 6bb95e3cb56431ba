// gnConv's gating on CUDA: one thread per element of a step, the scale, the
// gate's channel slice and the product in one pass (the composite path writes
// the scaled tensor, then reads it again per step). Arithmetic from
// gating_math.h, which the CPU twin runs too.
#include "hornet/ops/kernels/gating_math.h"
#include "hornet/ops/kernels/launch.h"
#include "hornet/ops/kernels/launch_config.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace hornet::ops::kernels {

namespace {

template <typename T>
__global__ void gate_forward_kernel(const T* a, const T* mixed, T* y, ChannelLayout l, ChannelLayout m,
                                    ChannelLayout ly, int64_t first, float scale) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= l.n * l.c * l.hw) return;
  const GateIndex at(i, l, m, first), out(i, ly, m, first);
  y[out.in_a] = static_cast<T>(gated<float>(static_cast<float>(a[at.in_a]), static_cast<float>(mixed[at.in_mixed]),
                                           scale));
}

template <typename T>
__global__ void gate_backward_kernel(const T* a, const T* mixed, const T* dy, T* da, T* dmixed, ChannelLayout l,
                                     ChannelLayout m, ChannelLayout lg, int64_t first, float scale) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= l.n * l.c * l.hw) return;
  const GateIndex at(i, l, m, first), grad(i, lg, m, first);
  float d_a, d_mixed;
  gated_backward<float>(static_cast<float>(a[at.in_a]), static_cast<float>(mixed[at.in_mixed]), scale,
                        static_cast<float>(dy[grad.in_a]), d_a, d_mixed);
  da[grad.in_a] = static_cast<T>(d_a);
  dmixed[at.in_mixed] = static_cast<T>(d_mixed);
}

template <typename T>
int forward_as(const void* a, const void* mixed, void* y, const ChannelLayout& l, const ChannelLayout& m,
               const ChannelLayout& ly, int64_t first, float scale, cudaStream_t stream) {
  const int64_t count = l.n * l.c * l.hw;
  if (count == 0) return 0;
  gate_forward_kernel<T><<<blocks_for(count), kThreads, 0, stream>>>(
      static_cast<const T*>(a), static_cast<const T*>(mixed), static_cast<T*>(y), l, m, ly, first, scale);
  return static_cast<int>(cudaGetLastError());
}

template <typename T>
int backward_as(const void* a, const void* mixed, const void* dy, void* da, void* dmixed, const ChannelLayout& l,
                const ChannelLayout& m, const ChannelLayout& lg, int64_t first, float scale, cudaStream_t stream) {
  const int64_t count = l.n * l.c * l.hw;
  if (count == 0) return 0;
  gate_backward_kernel<T><<<blocks_for(count), kThreads, 0, stream>>>(
      static_cast<const T*>(a), static_cast<const T*>(mixed), static_cast<const T*>(dy), static_cast<T*>(da),
      static_cast<T*>(dmixed), l, m, lg, first, scale);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int gate_forward_cuda(DType dtype, const void* a, const void* mixed, void* y, const ChannelLayout& l,
                      const ChannelLayout& m, const ChannelLayout& ly, int64_t first, double scale, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto k = static_cast<float>(scale);
  switch (dtype) {
    case DType::kFloat32: return forward_as<float>(a, mixed, y, l, m, ly, first, k, s);
    case DType::kBFloat16: return forward_as<__nv_bfloat16>(a, mixed, y, l, m, ly, first, k, s);
    case DType::kFloat16: return forward_as<__half>(a, mixed, y, l, m, ly, first, k, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

int gate_backward_cuda(DType dtype, const void* a, const void* mixed, const void* dy, void* da, void* dmixed,
                       const ChannelLayout& l, const ChannelLayout& m, const ChannelLayout& lg, int64_t first,
                       double scale, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto k = static_cast<float>(scale);
  switch (dtype) {
    case DType::kFloat32: return backward_as<float>(a, mixed, dy, da, dmixed, l, m, lg, first, k, s);
    case DType::kBFloat16: return backward_as<__nv_bfloat16>(a, mixed, dy, da, dmixed, l, m, lg, first, k, s);
    case DType::kFloat16: return backward_as<__half>(a, mixed, dy, da, dmixed, l, m, lg, first, k, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

}  // namespace hornet::ops::kernels

// The channels-first LayerNorm on CUDA: one thread per spatial position walks
// its channels (for NCHW, neighbouring threads read neighbouring positions, so
// every channel's load is coalesced); the weight and bias gradients are summed
// over positions in two stages across the whole GPU, in a fixed order
// (launch_config.cuh). The arithmetic is layer_norm_math.h's, which the CPU
// twin runs too.
#include "hornet/ops/kernels/launch.h"
#include "hornet/ops/kernels/launch_config.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace hornet::ops::kernels {

namespace {

template <typename T>
__global__ void forward_kernel(const T* x, const float* w, const float* b, T* y, float* mean, float* rstd,
                               ChannelLayout l, float eps) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= l.n * l.hw) return;
  const int64_t at = l.offset(i / l.hw, i % l.hw);
  float m, r;
  const StridedRow<const T> row{x + at, l.stride_c};
  ln_position_stats<float>(row, l.c, eps, m, r);
  ln_position_forward<float>(row, w, b, StridedRow<T>{y + at, l.stride_c}, l.c, m, r);
  mean[i] = m;
  rstd[i] = r;
}

template <typename T>
__global__ void backward_input_kernel(const T* x, const T* dy, const float* w, const float* mean, const float* rstd,
                                      T* dx, ChannelLayout l) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= l.n * l.hw) return;
  const int64_t at = l.offset(i / l.hw, i % l.hw);
  ln_position_backward<float>(StridedRow<const T>{x + at, l.stride_c}, StridedRow<const T>{dy + at, l.stride_c}, w,
                              StridedRow<T>{dx + at, l.stride_c}, l.c, mean[i], rstd[i]);
}

template <typename T>
int forward_as(const void* x, const float* w, const float* b, void* y, float* mean, float* rstd,
               const ChannelLayout& l, float eps, cudaStream_t stream) {
  if (l.n * l.hw == 0) return 0;
  forward_kernel<T><<<blocks_for(l.n * l.hw), kThreads, 0, stream>>>(static_cast<const T*>(x), w, b,
                                                                     static_cast<T*>(y), mean, rstd, l, eps);
  return static_cast<int>(cudaGetLastError());
}

template <typename T>
int backward_as(const void* x, const void* dy, const float* w, const float* mean, const float* rstd, void* dx,
                float* dw, float* db, float* workspace, const ChannelLayout& l, cudaStream_t stream) {
  if (l.n * l.hw == 0) return 0;
  backward_input_kernel<T><<<blocks_for(l.n * l.hw), kThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(dy), w, mean, rstd, static_cast<T*>(dx), l);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return static_cast<int>(e);
  const LayerNormParamSource<T> source{static_cast<const T*>(x), static_cast<const T*>(dy), l};
  return static_cast<int>(
      launch_param_grads(source, mean, rstd, l.n * l.hw, l.c, l.stride_c == 1, workspace, dw, db, stream));
}

}  // namespace

int layer_norm_forward_cuda(DType dtype, const void* x, const void* weight, const void* bias, void* y, void* mean,
                            void* rstd, const ChannelLayout& l, double eps, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto w = static_cast<const float*>(weight), b = static_cast<const float*>(bias);
  const auto m = static_cast<float*>(mean), r = static_cast<float*>(rstd);
  const auto e = static_cast<float>(eps);
  switch (dtype) {
    case DType::kFloat32: return forward_as<float>(x, w, b, y, m, r, l, e, s);
    case DType::kBFloat16: return forward_as<__nv_bfloat16>(x, w, b, y, m, r, l, e, s);
    case DType::kFloat16: return forward_as<__half>(x, w, b, y, m, r, l, e, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

int layer_norm_backward_cuda(DType dtype, const void* x, const void* dy, const void* weight, const void* mean,
                             const void* rstd, void* dx, void* dweight, void* dbias, void* workspace,
                             const ChannelLayout& l, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto w = static_cast<const float*>(weight);
  const auto m = static_cast<const float*>(mean), r = static_cast<const float*>(rstd);
  const auto dw = static_cast<float*>(dweight), db = static_cast<float*>(dbias);
  const auto ws = static_cast<float*>(workspace);
  switch (dtype) {
    case DType::kFloat32: return backward_as<float>(x, dy, w, m, r, dx, dw, db, ws, l, s);
    case DType::kBFloat16: return backward_as<__nv_bfloat16>(x, dy, w, m, r, dx, dw, db, ws, l, s);
    case DType::kFloat16: return backward_as<__half>(x, dy, w, m, r, dx, dw, db, ws, l, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

}  // namespace hornet::ops::kernels

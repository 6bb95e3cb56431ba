// The GF filter on CUDA around cuFFT: the complex weighting of the spectrum
// (one thread per frequency and channel; the weight gradient sums the batch
// in a fixed order), and the interleave of the local and global halves fused
// with the post-norm (one thread per position, and the two-stage parameter
// gradients, as the LayerNorm kernels).
// Arithmetic from global_filter_math.h and layer_norm_math.h, which the CPU
// twin runs too.
#include "hornet/ops/kernels/launch.h"
#include "hornet/ops/kernels/launch_config.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace hornet::ops::kernels {

namespace {

__global__ void weight_forward_kernel(const float* s, const float* w, float* out, SpectrumShape sh) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // over N * C * F
  if (i >= sh.n * sh.c * sh.f) return;
  const int64_t wi = i % (sh.c * sh.f);
  complex_mul<float>(s[2 * i], s[2 * i + 1], w[2 * wi], w[2 * wi + 1], out[2 * i], out[2 * i + 1]);
}

__global__ void weight_backward_input_kernel(const float* w, const float* g, float* ds, SpectrumShape sh) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= sh.n * sh.c * sh.f) return;
  const int64_t wi = i % (sh.c * sh.f);
  complex_mul_conj<float>(g[2 * i], g[2 * i + 1], w[2 * wi], w[2 * wi + 1], ds[2 * i], ds[2 * i + 1]);
}

__global__ void weight_backward_weight_kernel(const float* s, const float* g, float* dw, SpectrumShape sh) {
  const int64_t wi = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // over C * F
  if (wi >= sh.c * sh.f) return;
  float acc_r = 0.0f, acc_i = 0.0f;
  for (int64_t n = 0; n < sh.n; ++n) {
    const int64_t i = n * sh.c * sh.f + wi;
    float r, im;
    complex_mul_conj<float>(g[2 * i], g[2 * i + 1], s[2 * i], s[2 * i + 1], r, im);
    acc_r += r;
    acc_i += im;
  }
  dw[2 * wi] = acc_r;
  dw[2 * wi + 1] = acc_i;
}

template <typename T>
__device__ InterleavedRow<const T, const T> input_row(const T* local, const T* global, const ChannelLayout& l,
                                                      const ChannelLayout& g, int64_t i) {
  const int64_t n = i / l.hw, pos = i % l.hw;
  return {local + l.offset(n, pos), global + g.offset(n, pos), l.stride_c, g.stride_c};
}

template <typename T>
__global__ void norm_forward_kernel(const T* local, const T* global, const float* w, const float* b, T* y,
                                    float* mean, float* rstd, ChannelLayout l, ChannelLayout g, ChannelLayout ly,
                                    float eps) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= ly.n * ly.hw) return;
  const auto x = input_row(local, global, l, g, i);
  float m, r;
  ln_position_stats<float>(x, ly.c, eps, m, r);
  ln_position_forward<float>(x, w, b, StridedRow<T>{y + ly.offset(i / ly.hw, i % ly.hw), ly.stride_c}, ly.c, m, r);
  mean[i] = m;
  rstd[i] = r;
}

template <typename T>
__global__ void norm_backward_input_kernel(const T* local, const T* global, const T* dy, const float* w,
                                           const float* mean, const float* rstd, T* dlocal, T* dglobal,
                                           ChannelLayout l, ChannelLayout g, ChannelLayout ly) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= ly.n * ly.hw) return;
  const int64_t n = i / ly.hw, pos = i % ly.hw;
  const InterleavedRow<T, T> dx{dlocal + l.offset(n, pos), dglobal + g.offset(n, pos), l.stride_c, g.stride_c};
  ln_position_backward<float>(input_row(local, global, l, g, i), StridedRow<const T>{dy + ly.offset(n, pos), ly.stride_c},
                              w, dx, ly.c, mean[i], rstd[i]);
}

template <typename T>
int norm_forward_as(const void* local, const void* global, const float* w, const float* b, void* y, float* mean,
                    float* rstd, const ChannelLayout& l, const ChannelLayout& g, const ChannelLayout& ly, float eps,
                    cudaStream_t stream) {
  if (ly.n * ly.hw == 0) return 0;
  norm_forward_kernel<T><<<blocks_for(ly.n * ly.hw), kThreads, 0, stream>>>(
      static_cast<const T*>(local), static_cast<const T*>(global), w, b, static_cast<T*>(y), mean, rstd, l, g, ly, eps);
  return static_cast<int>(cudaGetLastError());
}

template <typename T>
int norm_backward_as(const void* local, const void* global, const void* dy, const float* w, const float* mean,
                     const float* rstd, void* dlocal, void* dglobal, float* dw, float* db, float* workspace,
                     const ChannelLayout& l, const ChannelLayout& g, const ChannelLayout& ly, cudaStream_t stream) {
  if (ly.n * ly.hw == 0) return 0;
  norm_backward_input_kernel<T><<<blocks_for(ly.n * ly.hw), kThreads, 0, stream>>>(
      static_cast<const T*>(local), static_cast<const T*>(global), static_cast<const T*>(dy), w, mean, rstd,
      static_cast<T*>(dlocal), static_cast<T*>(dglobal), l, g, ly);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return static_cast<int>(e);
  const InterleavedParamSource<T> source{static_cast<const T*>(local), static_cast<const T*>(global),
                                         static_cast<const T*>(dy), l, g, ly};
  return static_cast<int>(
      launch_param_grads(source, mean, rstd, ly.n * ly.hw, ly.c, ly.stride_c == 1, workspace, dw, db, stream));
}

}  // namespace

int spectrum_weight_forward_cuda(DType dtype, const void* spectrum, const void* weight, void* out,
                                 const SpectrumShape& shape, void* stream) {
  if (dtype != DType::kFloat32) return kUnsupported;  // the FFTs run in float32
  if (shape.n * shape.c * shape.f == 0) return 0;
  weight_forward_kernel<<<blocks_for(shape.n * shape.c * shape.f), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const float*>(spectrum), static_cast<const float*>(weight), static_cast<float*>(out), shape);
  return static_cast<int>(cudaGetLastError());
}

int spectrum_weight_backward_cuda(DType dtype, const void* spectrum, const void* weight, const void* dout,
                                  void* dspectrum, void* dweight, const SpectrumShape& shape, void* stream) {
  if (dtype != DType::kFloat32) return kUnsupported;
  if (shape.n * shape.c * shape.f == 0) return 0;
  const auto s = static_cast<cudaStream_t>(stream);
  weight_backward_input_kernel<<<blocks_for(shape.n * shape.c * shape.f), kThreads, 0, s>>>(
      static_cast<const float*>(weight), static_cast<const float*>(dout), static_cast<float*>(dspectrum), shape);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return static_cast<int>(e);
  weight_backward_weight_kernel<<<blocks_for(shape.c * shape.f), kThreads, 0, s>>>(
      static_cast<const float*>(spectrum), static_cast<const float*>(dout), static_cast<float*>(dweight), shape);
  return static_cast<int>(cudaGetLastError());
}

int interleaved_norm_forward_cuda(DType dtype, const void* local, const void* global, const void* weight,
                                  const void* bias, void* y, void* mean, void* rstd, const ChannelLayout& l,
                                  const ChannelLayout& g, const ChannelLayout& ly, double eps, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto w = static_cast<const float*>(weight), b = static_cast<const float*>(bias);
  const auto m = static_cast<float*>(mean), r = static_cast<float*>(rstd);
  const auto e = static_cast<float>(eps);
  switch (dtype) {
    case DType::kFloat32: return norm_forward_as<float>(local, global, w, b, y, m, r, l, g, ly, e, s);
    case DType::kBFloat16: return norm_forward_as<__nv_bfloat16>(local, global, w, b, y, m, r, l, g, ly, e, s);
    case DType::kFloat16: return norm_forward_as<__half>(local, global, w, b, y, m, r, l, g, ly, e, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

int interleaved_norm_backward_cuda(DType dtype, const void* local, const void* global, const void* dy,
                                   const void* weight, const void* mean, const void* rstd, void* dlocal, void* dglobal,
                                   void* dweight, void* dbias, void* workspace, const ChannelLayout& l,
                                   const ChannelLayout& g, const ChannelLayout& ly, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const auto w = static_cast<const float*>(weight);
  const auto m = static_cast<const float*>(mean), r = static_cast<const float*>(rstd);
  const auto dw = static_cast<float*>(dweight), db = static_cast<float*>(dbias);
  const auto ws = static_cast<float*>(workspace);
  switch (dtype) {
    case DType::kFloat32:
      return norm_backward_as<float>(local, global, dy, w, m, r, dlocal, dglobal, dw, db, ws, l, g, ly, s);
    case DType::kBFloat16:
      return norm_backward_as<__nv_bfloat16>(local, global, dy, w, m, r, dlocal, dglobal, dw, db, ws, l, g, ly, s);
    case DType::kFloat16:
      return norm_backward_as<__half>(local, global, dy, w, m, r, dlocal, dglobal, dw, db, ws, l, g, ly, s);
    case DType::kFloat64: break;
  }
  return kUnsupported;
}

const Launchers& cuda_launchers() {
  static const Launchers launchers{"CUDA",
                                   layer_norm_forward_cuda,
                                   layer_norm_backward_cuda,
                                   gate_forward_cuda,
                                   gate_backward_cuda,
                                   spectrum_weight_forward_cuda,
                                   spectrum_weight_backward_cuda,
                                   interleaved_norm_forward_cuda,
                                   interleaved_norm_backward_cuda};
  return launchers;
}

}  // namespace hornet::ops::kernels

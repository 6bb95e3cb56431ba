// Launchers of the channels-first LayerNorm CUDA kernels (layer_norm.cu).
// They take raw pointers, a layout and a stream, and include no CUDA or
// LibTorch header, so that the kernels compile with nvcc alone; the glue that
// passes tensors in lives with the CUDA build of the op.
#pragma once

#include "hornet/ops/kernels/layer_norm_math.h"

namespace hornet::ops::kernels {

/// The element type of the activations (the weights are float32 throughout).
enum class DType : int { kFloat32, kBFloat16, kFloat16 };

/// y = LayerNorm over channels of x; mean and rstd receive [N * H * W] floats
/// for the backward pass. Returns 0 or the cudaError_t of the launch.
int layer_norm_forward_cuda(DType dtype, const void* x, const float* weight, const float* bias, void* y, float* mean,
                            float* rstd, const ChannelLayout& layout, float eps, void* stream);

/// dx (laid out as x) and the [C] weight and bias gradients, summed in a fixed
/// order (deterministic). Returns 0 or the cudaError_t of the launches.
int layer_norm_backward_cuda(DType dtype, const void* x, const void* dy, const float* weight, const float* mean,
                             const float* rstd, void* dx, float* dweight, float* dbias, const ChannelLayout& layout,
                             void* stream);

}  // namespace hornet::ops::kernels

// The CPU twin of the channels-first LayerNorm CUDA kernels: the same
// per-position functions (layer_norm_math.h) on the same layouts, the same
// saved mean and rstd, parameter gradients summed per channel over positions.
// It is how the kernels' arithmetic is tested where there is no GPU.
#pragma once

#include <ATen/core/Tensor.h>

namespace hornet::ops::kernels {

/// x [N, C, H, W] (float or double, NCHW or channels-last), weight and bias [C]
/// -> y laid out as x. Differentiable (first order).
at::Tensor layer_norm_channels_first_twin(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                          double eps);

}  // namespace hornet::ops::kernels

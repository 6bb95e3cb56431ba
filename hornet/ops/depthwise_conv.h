// Depthwise 2-D convolution (one filter per channel, stride 1, zero "same"
// padding, odd square kernel): the spatial mixer of gnConv (7x7) and the local
// half of the GlobalLocalFilter (3x3).
//
// On float32 CPU tensors it runs hornet's own forward and backward kernels.
// LibTorch 1.13's CPU path (oneDNN) computes this backward about ten times
// slower than the forward, and in a HorNet-T training step it was a sixth of
// the time. Under CPU autocast the same kernels run in float32 and the output
// takes autocast's type (oneDNN's bf16 path is an im2col GEMM, slower still).
// Everything else (CUDA, other dtypes) goes to torch::conv2d unchanged.
#pragma once

#include <ATen/core/Tensor.h>

namespace hornet::ops {

/// y[n, c] = bias[c] + sum_ij weight[c, 0, i, j] * x[n, c, y + i - K/2, x + j - K/2]
/// for x [N, C, H, W], weight [C, 1, K, K] (K odd), bias [C] or undefined.
/// Differentiable in x, weight and bias (first order).
at::Tensor depthwise_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

/// Whether depthwise_conv2d would use hornet's kernels for these arguments.
bool depthwise_conv2d_uses_own_kernel(const at::Tensor& x, const at::Tensor& weight);

}  // namespace hornet::ops

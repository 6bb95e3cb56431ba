// y = x W^T + b over the last axis, as torch::linear computes it.
//
// On the CPU, LibTorch sends torch::linear to the system BLAS. Debian's
// OpenBLAS 0.3.21 picks its kernels by CPU model and falls back to the
// generic SSE3 ones on models newer than itself (an Emerald Rapids Xeon ran
// HorNet's MLP products at 20 GFLOP/s instead of 117). oneDNN, which LibTorch
// uses for convolutions, picks its kernels by instruction-set features
// instead. So for float32 CPU inputs with enough rows, this runs the same
// product as a 1x1 convolution over a channels-last view of x: no copy in,
// none out, and the backward pass stays on oneDNN too.
#pragma once

#include <ATen/core/Tensor.h>

namespace hornet::ops {

/// x [..., in], weight [out, in], bias [out] or undefined -> [..., out].
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

/// Whether linear() takes the oneDNN route for these arguments.
bool linear_uses_onednn(const at::Tensor& x, const at::Tensor& weight);

}  // namespace hornet::ops

// The CPU twins of the GF filter's CUDA kernels: the complex weighting of a
// spectrum, and the interleave of the local and global halves fused with the
// post-norm, on the kernels' own arithmetic (global_filter_math.h,
// layer_norm_math.h).
#pragma once

#include <ATen/core/Tensor.h>

namespace hornet::ops::kernels {

/// spectrum [N, C, Hf, Wf, 2] and weight [C, Hf, Wf, 2] as (real, imaginary)
/// pairs (float or double) -> their complex product, shaped as spectrum.
/// Differentiable (first order).
at::Tensor spectrum_weight_twin(const at::Tensor& spectrum, const at::Tensor& weight);

/// local and global [N, c, H, W] (one dtype; NCHW or channels-last), weight and
/// bias [2c] -> the channels-first LayerNorm of their interleave (channel 2k
/// local k, 2k + 1 global k), [N, 2c, H, W] in local's memory format.
/// Differentiable (first order).
at::Tensor interleaved_norm_twin(const at::Tensor& local, const at::Tensor& global, const at::Tensor& weight,
                                 const at::Tensor& bias, double eps);

}  // namespace hornet::ops::kernels

// LayerNorm over the channel axis of an NCHW tensor, HorNet's "channels_first"
// LayerNorm (docs/model.md §4):
//   u = mean_C(x), s = mean_C((x - u)^2), y = w * (x - u) / sqrt(s + eps) + b.
//
// Written out with tensor ops this is nine passes over the tensor forward and
// more backward. On float32 CPU tensors hornet runs it as one fused kernel
// (three passes forward, two backward, gradients for x, w and b together);
// under CPU autocast too, in float32 from an input in autocast's type, with a
// float32 result as autocast's layer_norm gives. Elsewhere (CUDA, other
// dtypes) the tensor-op formula, in the reference's op order.
#pragma once

#include <ATen/core/Tensor.h>

namespace hornet::ops {

/// x [N, C, H, W], weight and bias [C] -> [N, C, H, W]. Differentiable (first order).
at::Tensor layer_norm_channels_first(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                     double eps);

/// Whether layer_norm_channels_first runs hornet's fused kernel for `x`.
bool layer_norm_channels_first_fused(const at::Tensor& x);

}  // namespace hornet::ops

// The CPU twin of gnConv's fused gating: the whole chain
//   y_0 = pwa * (s * g_0),  y_i = proj_i(y_{i-1}) * (s * g_i),  g = split(mixed, dims)
// as one differentiable op whose element-wise steps are gating_math.h's (the
// CUDA kernels' arithmetic) and whose 1x1 projections stay matrix products.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace hornet::ops::kernels {

/// pwa [N, dims[0], H, W]; mixed [N, sum(dims), H, W], the depthwise or GF
/// output before scaling; weights[i] [dims[i+1], dims[i], 1, 1] and biases[i]
/// of the projections. Returns y of the last step (proj_out's input).
/// Differentiable (first order) in pwa, mixed, weights and biases.
at::Tensor gnconv_gating_twin(const at::Tensor& pwa, const at::Tensor& mixed, const std::vector<at::Tensor>& weights,
                              const std::vector<at::Tensor>& biases, const std::vector<int64_t>& dims, double scale);

}  // namespace hornet::ops::kernels

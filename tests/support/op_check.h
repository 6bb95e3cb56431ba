// Checking a hornet op against the LibTorch computation it replaces: values
// and first-order gradients.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace hornet::test {

// The composite LibTorch computations the fused gnConv ops replace (weights
// are cast to the activations' dtype, as autocast would).

/// HorNet's channels-first LayerNorm as the reference writes it, op by op:
/// mean and biased variance over channels, division by sqrt(var + eps).
torch::Tensor layer_norm_channels_first_formula(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                                double eps);

/// gnConv's gating chain: in = {pwa, mixed, proj weights..., proj biases...};
/// y = pwa * gate_0, then y = proj_i(y) * gate_{i+1}, gates = split(mixed * scale, dims).
torch::Tensor gating_formula(const std::vector<torch::Tensor>& in, const std::vector<int64_t>& dims, double scale);

/// The GF filter's complex weighting: in = {spectrum [..., 2], weight [..., 2]}.
torch::Tensor spectrum_weight_formula(const std::vector<torch::Tensor>& in);

/// The GF interleave (channel 2k local, 2k + 1 global) and its post-norm:
/// in = {local, global, weight, bias}, eps 1e-6.
torch::Tensor interleaved_norm_formula(const std::vector<torch::Tensor>& in);

/// max |a - b| / max |b|, in double precision.
double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b);

using TensorFn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

/// Runs `ours` and `reference` on separate leaf copies of `inputs` (undefined
/// entries stay undefined), backpropagates one random output gradient through
/// both, and CHECKs that the outputs and every defined input's gradient agree
/// within `tolerance`, relative to the reference's largest magnitude.
void check_against_reference(const TensorFn& ours, const TensorFn& reference, const std::vector<torch::Tensor>& inputs,
                             double tolerance);

/// Gradient check in double precision: for a fixed random cotangent r, the
/// gradient of sum(f(inputs) * r) by backward against central differences
/// (step `step`) of every element of every defined input. CHECKs that the worst
/// absolute difference is below `tolerance` times the largest gradient.
void gradcheck(const TensorFn& f, const std::vector<torch::Tensor>& inputs, double step = 1e-6,
               double tolerance = 1e-6);

}  // namespace hornet::test

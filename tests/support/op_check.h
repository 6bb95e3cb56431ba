// Checking a hornet op against the LibTorch computation it replaces: values
// and first-order gradients.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace hornet::test {

/// HorNet's channels-first LayerNorm as the reference writes it, op by op:
/// mean and biased variance over channels, division by sqrt(var + eps).
torch::Tensor layer_norm_channels_first_formula(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                                double eps);

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

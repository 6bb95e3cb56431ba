// Weight initialisation as the official HorNet repository does it
// (hornet-reference.md §1.8): truncated normal std 0.02 for every Conv2d and
// Linear weight, zero biases; LayerNorms, layer scales and GF complex weights
// initialise themselves in their own reset_parameters().
#pragma once

#include <torch/types.h>

namespace torch::nn {
class Module;
}

namespace hornet::models {

/// Fills `tensor` in place with N(mean, std^2) truncated to [a, b] (absolute
/// bounds, as timm's trunc_normal_): inverse-CDF sampling, or plain normal
/// sampling when both bounds are 8+ standard deviations away.
void trunc_normal_(torch::Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0,
                   double b = 2.0);

/// Re-initialises every Conv2d and Linear in `module` (recursively): weight
/// trunc-normal(0, std), bias zero.
void init_conv_linear_trunc_normal(torch::nn::Module& module, double std = 0.02);

/// The same for Linear layers only (convolutions keep PyTorch's default).
void init_linear_trunc_normal(torch::nn::Module& module, double std = 0.02);

}  // namespace hornet::models

// Weight initialisation as the official HorNet repository does it
// (docs/model.md §9): truncated normal std 0.02 for every Conv2d and
// Linear weight, zero biases; LayerNorms, layer scales and GF complex weights
// initialise themselves in their own reset_parameters().
#pragma once

#include <torch/types.h>

namespace torch::nn {
class Module;
}

namespace hornet::models {

/// While alive, Conv2d, Linear, trunc_normal_ and the init schemes built on
/// them leave tensors as allocated (uninitialised) in this thread. For models
/// whose every tensor a checkpoint overwrites right after construction: their
/// random initialisation would be thrown away (and for HorNet-B costs more
/// than reading the checkpoint).
class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;

 private:
  bool previous_;
};

/// Whether a SkipInitGuard is alive in this thread.
bool init_skipped();

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

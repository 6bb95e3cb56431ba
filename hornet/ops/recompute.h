// Activation checkpointing (recomputation): run a function without keeping its intermediate
// activations, and run it again in the backward pass to get them back
// (the reentrant variant of torch.utils.checkpoint). Memory for the large
// models at 384 drops to one stored tensor per checkpointed block, for about
// one extra forward pass of compute.
//
// The recomputation repeats the first run exactly: the CPU generator (which
// draws every drop-path mask, see models/layers.cpp) is put back to its state
// at the first run, and autocast is re-entered with the same type. Parameter
// gradients accumulate into `.grad` from inside the backward pass, as with
// torch.utils.checkpoint(use_reentrant=True), so gradient hooks still fire.
#pragma once

#include <torch/types.h>

#include <functional>

namespace hornet::ops {

/// fn(x), storing only `x` for the backward pass. Outside training (no grad
/// mode) this is fn(x).
torch::Tensor recompute_in_backward(std::function<torch::Tensor(const torch::Tensor&)> fn, const torch::Tensor& x);

}  // namespace hornet::ops

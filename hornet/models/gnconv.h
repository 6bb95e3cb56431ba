// gnConv, HorNet's recursive gated convolution (docs/model.md §6).
//
// proj_in doubles the channels; the first dims[0] channels seed the recursion,
// the rest go through the spatial mixer (depthwise conv or GlobalLocalFilter),
// are scaled, and split into gates of widths dims = [C/2^(n-1), ..., C/2, C].
// Step i applies projs[i] (1x1) and then multiplies by gate i+1; proj_out maps
// back to C channels.
#pragma once

#include "hornet/models/arch.h"
#include "hornet/models/global_local_filter.h"
#include "hornet/models/primitives.h"

#include <torch/nn/modules/container/modulelist.h>

#include <vector>

namespace hornet::models {

struct GnConvOptions {
  GnConvOptions(int64_t dim, int64_t order) : dim_(dim), order_(order) {}
  /// Channels in and out; divisible by 2^(order-1).
  TORCH_ARG(int64_t, dim);
  /// Interaction order n (number of gates).
  TORCH_ARG(int64_t, order);
  TORCH_ARG(MixerSpec, mixer) = MixerSpec::depthwise(7);
  /// Multiplies the mixer output. Every published arch uses 1/3 (the original
  /// classes default to 1.0, which is easy to get wrong).
  TORCH_ARG(double, scale) = 1.0 / 3.0;
};

/// Parameters (mmpretrain names): `proj_in` [2C, C, 1, 1], `dwconv` (a depthwise
/// Conv2d with bias, or a GlobalLocalFilter), `proj_out` [C, C, 1, 1],
/// `projs.i` [dims[i+1], dims[i], 1, 1].
class GnConvImpl : public torch::nn::Cloneable<GnConvImpl> {
 public:
  explicit GnConvImpl(GnConvOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [N, C, H, W] -> [N, C, H, W].
  torch::Tensor forward(const torch::Tensor& x);
  /// Multiply-accumulates of the convolutions for an HxW input.
  /// FLOPs for an HxW input under `convention` (see models/summary.h).
  int64_t flops(int64_t height, int64_t width, FlopConvention convention) const;

  /// The gate widths [C/2^(n-1), ..., C].
  const std::vector<int64_t>& dims() const { return dims_; }

  GnConvOptions options;
  Conv2d proj_in{nullptr};
  /// Exactly one of these two is set, registered as `dwconv`.
  Conv2d dwconv{nullptr};
  GlobalLocalFilter gf{nullptr};
  Conv2d proj_out{nullptr};
  torch::nn::ModuleList projs{nullptr};

 private:
  std::vector<int64_t> dims_;
};
TORCH_MODULE(GnConv);

}  // namespace hornet::models

// GlobalLocalFilter, the "GF" spatial mixer of HorNet-GF (docs/model.md §7).
//
// The first half of the channels goes through a 3x3 depthwise conv (local), the
// second half through a learnable filter in the rfft2 domain (global); the two
// are interleaved channel by channel, between a pre- and a post-LayerNorm.
#pragma once

#include "hornet/models/layers.h"
#include "hornet/models/primitives.h"


namespace hornet::models {

/// Which operations a FLOPs count includes; defined in models/summary.h.
enum class FlopConvention;

struct GlobalLocalFilterOptions {
  GlobalLocalFilterOptions(int64_t dim, int64_t h, int64_t w) : dim_(dim), h_(h), w_(w) {}
  /// Channels in and out; even (split into a local and a global half).
  TORCH_ARG(int64_t, dim);
  /// Complex-weight grid: (H, W/2 + 1) of the feature map it was made for.
  TORCH_ARG(int64_t, h);
  TORCH_ARG(int64_t, w);
};

/// Parameters (mmpretrain names): `complex_weight` [dim/2, h, w, 2] float32
/// (last axis = real, imaginary), `dw.weight` [dim/2, 1, 3, 3] (no bias),
/// `pre_norm.*`, `post_norm.*` [dim].
class GlobalLocalFilterImpl : public torch::nn::Cloneable<GlobalLocalFilterImpl> {
 public:
  explicit GlobalLocalFilterImpl(GlobalLocalFilterOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  /// [N, dim, H, W] -> [N, dim, H, W]; output channel 2k is local channel k,
  /// 2k+1 is global channel k.
  torch::Tensor forward(const torch::Tensor& x);
  /// Multiply-accumulates of the 3x3 depthwise conv for an HxW input; the FFT
  /// is not counted (mmpretrain's metafile convention).
  /// FLOPs for an HxW input under `convention` (see models/summary.h).
  int64_t flops(int64_t height, int64_t width, FlopConvention convention) const;

  GlobalLocalFilterOptions options;
  torch::Tensor complex_weight;
  Conv2d dw{nullptr};
  HorNetLayerNorm pre_norm{nullptr};
  HorNetLayerNorm post_norm{nullptr};
};
TORCH_MODULE(GlobalLocalFilter);

/// Resizes a complex weight [C, h, w, 2] to [C, height, width, 2] by bilinear
/// interpolation with align_corners=True on the real and imaginary planes;
/// returns `weight` itself when it already has that size. Used on every forward
/// at another resolution and when loading a checkpoint made for another size.
torch::Tensor resize_complex_weight(const torch::Tensor& weight, int64_t height, int64_t width);

/// The global half of GF: irfft2(rfft2(x) * W) with `ortho` normalisation over
/// the two spatial axes, W resized to x's spectrum. Always runs in float32 with
/// autocast off, whatever the caller's autocast state: [N, C, H, W] -> float32.
torch::Tensor global_filter(const torch::Tensor& x, const torch::Tensor& complex_weight);

}  // namespace hornet::models

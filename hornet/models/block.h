// The HorNet block (docs/model.md §5):
//   x = x + DropPath(gamma1 * gnConv(norm1(x)))                  (NCHW)
//   x = x + DropPath(gamma2 * pwconv2(GELU(pwconv1(norm2(x)))))  (MLP in NHWC)
#pragma once

#include "hornet/models/gnconv.h"


namespace hornet::models {

struct HorNetBlockOptions {
  HorNetBlockOptions(int64_t dim, int64_t order) : dim_(dim), order_(order) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, order);
  TORCH_ARG(MixerSpec, mixer) = MixerSpec::depthwise(7);
  TORCH_ARG(double, scale) = 1.0 / 3.0;
  /// Stochastic-depth probability of this block.
  TORCH_ARG(double, drop_path) = 0.0;
  /// Initial layer-scale value; <= 0 disables layer scale (no gamma1/gamma2).
  TORCH_ARG(double, layer_scale_init_value) = 1e-6;
};

/// Parameters (mmpretrain names): `norm1.*`, `gnconv.*`, `norm2.*`,
/// `pwconv1` Linear(C, 4C), `pwconv2` Linear(4C, C), `gamma1.weight`,
/// `gamma2.weight` [C].
class HorNetBlockImpl : public torch::nn::Cloneable<HorNetBlockImpl> {
 public:
  explicit HorNetBlockImpl(HorNetBlockOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  /// [N, C, H, W] -> [N, C, H, W].
  torch::Tensor forward(const torch::Tensor& x);
  /// FLOPs for an HxW input under `convention` (see models/summary.h).
  int64_t flops(int64_t height, int64_t width, FlopConvention convention) const;

  HorNetBlockOptions options;
  HorNetLayerNorm norm1{nullptr};
  GnConv gnconv{nullptr};
  HorNetLayerNorm norm2{nullptr};
  Linear pwconv1{nullptr};
  Linear pwconv2{nullptr};
  LayerScale gamma1{nullptr};
  LayerScale gamma2{nullptr};
  DropPath drop_path{nullptr};
};
TORCH_MODULE(HorNetBlock);

}  // namespace hornet::models

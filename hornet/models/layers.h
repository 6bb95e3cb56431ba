// Small HorNet building blocks: LayerNorm in both layouts, LayerScale, DropPath.
//
// Math from docs/model.md §4 (LayerNorm), §5 (layer scale) and §3
// (stochastic depth). Parameter names follow mmpretrain (`weight`, `bias`).
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

namespace hornet::models {

/// Where the channel axis is: NCHW (channels_first) or NHWC / [..., C] (channels_last).
enum class DataFormat { kChannelsFirst, kChannelsLast };

/// Throws std::invalid_argument unless `x` has `rank` dimensions and `channels`
/// entries on axis `channel_axis`; `who` names the module in the message.
void check_input(const torch::Tensor& x, const std::string& who, int64_t rank,
                 int64_t channel_axis, int64_t channels);

// --------------------------------------------------------------------------
// HorNetLayerNorm

struct HorNetLayerNormOptions {
  /* implicit */ HorNetLayerNormOptions(int64_t num_channels) : num_channels_(num_channels) {}
  /// Size of the normalised (channel) axis.
  TORCH_ARG(int64_t, num_channels);
  /// 1e-6 everywhere in HorNet (LibTorch's LayerNorm defaults to 1e-5).
  TORCH_ARG(double, eps) = 1e-6;
  TORCH_ARG(DataFormat, data_format) = DataFormat::kChannelsLast;
};

/// LayerNorm over the channel axis. channels_last uses the fused layer_norm;
/// channels_first is HorNet's hand-written formula on NCHW input:
///   u = mean_C(x), s = mean_C((x-u)^2), y = w * (x-u) / sqrt(s+eps) + b.
/// Parameters: `weight` (ones) and `bias` (zeros), both [C].
class HorNetLayerNormImpl : public torch::nn::Cloneable<HorNetLayerNormImpl> {
 public:
  explicit HorNetLayerNormImpl(HorNetLayerNormOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  /// channels_first: [N, C, H, W] -> same; channels_last: [..., C] -> same.
  torch::Tensor forward(const torch::Tensor& x);

  HorNetLayerNormOptions options;
  torch::Tensor weight;
  torch::Tensor bias;
};
TORCH_MODULE(HorNetLayerNorm);

// --------------------------------------------------------------------------
// LayerScale

struct LayerScaleOptions {
  /* implicit */ LayerScaleOptions(int64_t num_channels) : num_channels_(num_channels) {}
  TORCH_ARG(int64_t, num_channels);
  /// Initial value of every scale (HorNet trains with 1e-6).
  TORCH_ARG(double, init_value) = 1e-6;
  TORCH_ARG(DataFormat, data_format) = DataFormat::kChannelsLast;
};

/// Per-channel learnable scale (mmpretrain's LayerScale): y = x * weight, with
/// `weight` [C] broadcast over the channel axis of the chosen layout.
class LayerScaleImpl : public torch::nn::Cloneable<LayerScaleImpl> {
 public:
  explicit LayerScaleImpl(LayerScaleOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  LayerScaleOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(LayerScale);

// --------------------------------------------------------------------------
// DropPath

struct DropPathOptions {
  /* implicit */ DropPathOptions(double p = 0.0) : p_(p) {}
  /// Probability of dropping a sample's residual branch during training.
  TORCH_ARG(double, p);
};

/// Stochastic depth: in training mode each sample's branch is zeroed with
/// probability p and the survivors are scaled by 1/(1-p); the identity in
/// evaluation mode or when p is 0.
class DropPathImpl : public torch::nn::Cloneable<DropPathImpl> {
 public:
  explicit DropPathImpl(DropPathOptions options = {});
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  DropPathOptions options;
};
TORCH_MODULE(DropPath);

}  // namespace hornet::models

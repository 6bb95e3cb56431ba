// The HorNet backbone (docs/model.md §3, §8): a 4x4 stem, three 2x2
// downsamplings and four stages of HorNet blocks, with a final LayerNorm per
// requested output stage.
#pragma once

#include "hornet/models/block.h"

#include <torch/nn/modules/container/sequential.h>

#include <vector>

namespace hornet::models {

/// How weights start.
enum class InitScheme {
  /// The official repository: trunc-normal(0.02) on every conv and linear weight.
  kOfficial,
  /// mmpretrain's init_cfg: trunc-normal(0.02) on linear weights only; the
  /// convolutions keep PyTorch's default (Kaiming-uniform) initialisation,
  /// which small models train from much faster.
  kMmpretrain,
};

struct HorNetOptions {
  /* implicit */ HorNetOptions(ArchSpec arch) : arch_(std::move(arch)) {}
  TORCH_ARG(ArchSpec, arch);
  TORCH_ARG(int64_t, in_channels) = 3;
  /// Stochastic depth: block rates rise linearly from 0 to this over all blocks.
  TORCH_ARG(double, drop_path_rate) = 0.0;
  TORCH_ARG(double, scale) = 1.0 / 3.0;
  TORCH_ARG(double, layer_scale_init_value) = 1e-6;
  /// Stages whose output forward() returns (negative counts from the end);
  /// each gets a LayerNorm `norm{i}`. {0, 1, 2, 3} serves dense tasks.
  TORCH_ARG(std::vector<int64_t>, out_indices) = std::vector<int64_t>{3};
  /// Average-pool before the final norm and return [N, C] (classification);
  /// otherwise return normalised [N, C, H, W] maps.
  TORCH_ARG(bool, gap_before_final_norm) = true;
  TORCH_ARG(InitScheme, init) = InitScheme::kOfficial;
  /// Stages 0..frozen_stages (with their downsampling and output norm) keep
  /// their weights and stay in evaluation mode; -1 freezes none (mmpretrain's
  /// frozen_stages, whose norm lookup is off by one there: here norm{i} goes
  /// with stage i).
  TORCH_ARG(int64_t, frozen_stages) = -1;
};

/// Parameters (mmpretrain names, without the classifier's `backbone.` prefix):
/// `downsample_layers.{0..3}.{0,1}.*`, `stages.{i}.{j}.*`, `norm{i}.*`.
class HorNetImpl : public torch::nn::Cloneable<HorNetImpl> {
 public:
  explicit HorNetImpl(HorNetOptions options);
  void reset() override;
  /// Also keeps the frozen stages in evaluation mode.
  void train(bool on = true) override;
  /// Official initialisation: trunc-normal(0.02) conv and linear weights, zero
  /// biases, unit LayerNorms, layer scales at layer_scale_init_value.
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  /// [N, in_channels, H, W] with H, W >= 32 -> one tensor per out index, in stage
  /// order: [N, C_i] with gap_before_final_norm, else [N, C_i, H_i, W_i].
  std::vector<torch::Tensor> forward(const torch::Tensor& x);

  /// Channel width of each stage.
  const std::vector<int64_t>& stage_dims() const { return dims_; }
  /// The normalised, sorted out indices.
  const std::vector<int64_t>& out_indices() const { return out_indices_; }
  /// Activation checkpointing: in training, each block keeps only its input
  /// and runs again in the backward pass (ops/recompute.h).
  void set_grad_checkpointing(bool enabled) { grad_checkpointing_ = enabled; }
  bool grad_checkpointing() const { return grad_checkpointing_; }

  HorNetOptions options;
  torch::nn::ModuleList downsample_layers{nullptr};
  torch::nn::ModuleList stages{nullptr};
  /// norm{i} for i in out_indices, indexed by stage (null elsewhere).
  std::vector<HorNetLayerNorm> norms;

 private:
  std::vector<int64_t> dims_;
  std::vector<int64_t> out_indices_;
  bool grad_checkpointing_ = false;
};
TORCH_MODULE(HorNet);

}  // namespace hornet::models

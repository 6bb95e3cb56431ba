// Batch-level steps, done on the training device after the loader: uint8 ->
// normalised float, and timm's Mixup / CutMix with label-smoothed soft targets
// (the official recipe: mixup 0.8, cutmix 1.0, switch prob 0.5, smoothing 0.1).
#pragma once

#include "hornet/data/rng.h"
#include "hornet/data/transforms.h"

#include <torch/types.h>

#include <array>

namespace hornet::data {

/// ImageNet mean and std on the 0-255 scale, RGB (mmpretrain's data_preprocessor).
struct Normalization {
  std::array<float, 3> mean{123.675f, 116.28f, 103.53f};
  std::array<float, 3> std{58.395f, 57.12f, 57.375f};
};

/// uint8 [N, 3, H, W] -> float32 (x - mean) / std, on the input's device.
torch::Tensor normalize(const torch::Tensor& images, const Normalization& norm = {});

/// normalize() for a loop of batches: the mean and std are put on the device
/// once (a per-batch upload would wait for the device's queue on CUDA), and
/// the result is channels-last when asked.
class Normalizer {
 public:
  explicit Normalizer(const torch::Device& device, bool channels_last = false, const Normalization& norm = {});
  /// uint8 [N, 3, H, W] on the normaliser's device -> float32.
  torch::Tensor operator()(const torch::Tensor& images) const;

 private:
  torch::Tensor mean_, std_;
  bool channels_last_;
};

/// One-hot targets with label smoothing: 1 - s + s/C on the label, s/C elsewhere.
torch::Tensor smooth_one_hot(const torch::Tensor& labels, int64_t num_classes, double smoothing);

struct MixupOptions {
  double mixup_alpha = 0.8;
  double cutmix_alpha = 1.0;
  double probability = 1.0;         ///< of mixing a batch at all
  double switch_probability = 0.5;  ///< of CutMix rather than Mixup, when both are on
  double label_smoothing = 0.1;
  bool correct_lam = true;          ///< CutMix: lambda from the clipped box's area
};

struct MixResult {
  torch::Tensor targets;  ///< soft targets [N, num_classes]
  double lam = 1.0;       ///< weight of each sample's own label
  bool cutmix = false;
  CropBox box;            ///< CutMix box (pixels taken from the flipped batch)
};

/// timm's Mixup in batch mode: mixes `images` (float [N, C, H, W], in place)
/// with the batch flipped along N, and returns the matching soft targets.
MixResult mix_batch(torch::Tensor& images, const torch::Tensor& labels, int64_t num_classes, Rng& rng,
                    const MixupOptions& options = {});

}  // namespace hornet::data

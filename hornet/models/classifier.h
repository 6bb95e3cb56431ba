// HorNet image classifier: backbone + linear head, with mmpretrain's key layout
// (`backbone.*`, `head.fc.*`; docs/model.md §8, §10).
#pragma once

#include "hornet/models/hornet.h"

#include "hornet/models/primitives.h"

namespace hornet::models {

struct LinearClsHeadOptions {
  LinearClsHeadOptions(int64_t in_channels, int64_t num_classes)
      : in_channels_(in_channels), num_classes_(num_classes) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, num_classes);
};

/// mmpretrain's LinearClsHead: `fc` = Linear(in_channels, num_classes),
/// initialised trunc-normal(0.02) with zero bias.
class LinearClsHeadImpl : public torch::nn::Cloneable<LinearClsHeadImpl> {
 public:
  explicit LinearClsHeadImpl(LinearClsHeadOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  /// [N, in_channels] -> [N, num_classes].
  torch::Tensor forward(const torch::Tensor& features);

  LinearClsHeadOptions options;
  Linear fc{nullptr};
};
TORCH_MODULE(LinearClsHead);

struct ImageClassifierOptions {
  /* implicit */ ImageClassifierOptions(HorNetOptions backbone) : backbone_(std::move(backbone)) {}
  /// Must return the last stage, average-pooled (the defaults do).
  TORCH_ARG(HorNetOptions, backbone);
  TORCH_ARG(int64_t, num_classes) = 1000;
};

/// The model contract the engine relies on: forward, forward_features,
/// forward_head and reset_classifier.
class ImageClassifierImpl : public torch::nn::Cloneable<ImageClassifierImpl> {
 public:
  explicit ImageClassifierImpl(ImageClassifierOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// Images [N, 3, H, W] -> logits [N, num_classes].
  torch::Tensor forward(const torch::Tensor& images);
  /// Images -> pooled, normalised features [N, C] (the head's input).
  torch::Tensor forward_features(const torch::Tensor& images);
  /// Features [N, C] -> logits, or the features themselves when pre_logits.
  torch::Tensor forward_head(const torch::Tensor& features, bool pre_logits = false);
  /// Replaces the head with a freshly initialised one of `num_classes` outputs.
  void reset_classifier(int64_t num_classes);

  int64_t num_classes() const { return options.num_classes(); }
  const ArchSpec& arch() const { return options.backbone().arch(); }

  ImageClassifierOptions options;
  HorNet backbone{nullptr};
  LinearClsHead head{nullptr};
};
TORCH_MODULE(ImageClassifier);

/// Builds a classifier for a zoo arch name or alias (e.g. "tiny-gf").
ImageClassifier make_classifier(const std::string& arch_name, int64_t num_classes = 1000,
                                double drop_path_rate = 0.0);

}  // namespace hornet::models

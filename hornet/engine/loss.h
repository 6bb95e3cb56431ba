// Losses and metrics of classification training.
#pragma once

#include <torch/types.h>

#include <vector>

namespace hornet::engine {

/// mean over the batch of sum_c -target_c * log_softmax(logits)_c: timm's
/// SoftTargetCrossEntropy, and with smoothed one-hot targets its
/// LabelSmoothingCrossEntropy.
torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets);

/// [N, min(k, classes)] bool: whether the j-th highest logit is the label.
torch::Tensor topk_hits(const torch::Tensor& logits, const torch::Tensor& labels, int64_t k);

/// Numbers of samples whose label is among the top-k logits, for each k.
std::vector<int64_t> topk_correct(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const std::vector<int64_t>& ks);

}  // namespace hornet::engine

// What the loader delivers: a batch of decoded, transformed images with their
// labels and where they came from.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace hornet::data {

struct Batch {
  torch::Tensor images;   ///< uint8 [n, 3, H, W], RGB
  torch::Tensor labels;   ///< int64 [n]
  torch::Tensor indices;  ///< int64 [n], dataset indices
  int64_t epoch = 0;
  int64_t index = 0;      ///< batch number within the epoch
};

}  // namespace hornet::data

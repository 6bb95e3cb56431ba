// A small procedural image-classification dataset for demos and tests: JPEGs
// of a handful of visually distinct shape classes with random colours,
// positions, sizes and background noise, in the ImageFolder layout
// (<root>/train/<class>/*.jpg, <root>/val/<class>/*.jpg).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hornet::data {

struct ToyDatasetOptions {
  int classes = 6;             ///< up to toy_class_names().size()
  int train_per_class = 100;
  int val_per_class = 30;
  int size = 64;               ///< image side in pixels
  int quality = 90;            ///< JPEG quality
  uint64_t seed = 0;
};

/// The shape classes, in label order.
const std::vector<std::string>& toy_class_names();

/// Writes the dataset under `root` (created if needed; existing files with the
/// same names are replaced). Returns the number of images written.
int64_t make_toy_dataset(const std::string& root, const ToyDatasetOptions& options = {});

}  // namespace hornet::data

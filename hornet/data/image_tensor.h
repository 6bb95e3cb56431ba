// Moving 8-bit images between OpenCV matrices and tensors.
#pragma once

#include <opencv2/core/mat.hpp>
#include <torch/types.h>

#include <cstdint>

namespace hornet::data {

/// An HxWxC uint8 tensor holding a copy of `img` (any channel count).
torch::Tensor image_to_tensor(const cv::Mat& img);

/// A cv::Mat copy of an HxWxC (or HxW) uint8 CPU tensor.
cv::Mat tensor_to_image(const torch::Tensor& hwc);

/// Writes an HxWx3 image into `dst` as planar CHW (3 x H x W bytes).
void copy_to_chw(const cv::Mat& img, uint8_t* dst);

}  // namespace hornet::data

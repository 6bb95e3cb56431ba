// Pillow-exact image resampling.
//
// Re-implements Pillow's antialiased separable resampling (libImaging/Resample.c)
// for 8-bit images: per output pixel, filter weights over a support widened by
// the downscaling factor, normalised, converted to 22-bit fixed point, applied
// horizontally then vertically with rounding and clipping to uint8 in between.
// Results equal `PIL.Image.resize(size, filter)` bit for bit, which is what
// mmpretrain's and the official repository's pipelines (and so the published
// accuracies) use.
#pragma once

#include <opencv2/core/mat.hpp>

namespace hornet::data {

enum class Interpolation {
  kBilinear,  ///< Pillow BILINEAR (triangle filter, support 1)
  kBicubic,   ///< Pillow BICUBIC (cubic convolution a = -0.5, support 2)
};

/// Resizes an 8-bit image of 1 to 4 channels to width x height. Throws
/// std::invalid_argument for empty images or sizes below 1.
cv::Mat pillow_resize(const cv::Mat& src, int width, int height, Interpolation filter = Interpolation::kBicubic);

/// The `crop` window (in output coordinates) of pillow_resize(src, width,
/// height): equal to resizing then cropping, computing only the window.
cv::Mat pillow_resize_crop(const cv::Mat& src, int width, int height, const cv::Rect& crop,
                           Interpolation filter = Interpolation::kBicubic);

}  // namespace hornet::data

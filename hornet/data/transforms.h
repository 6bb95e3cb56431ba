// Per-image transforms of the evaluation and training pipelines, with
// mmpretrain's (evaluation) and timm's (training, the official recipe)
// semantics; docs/data.md.
//
// Images are cv::Mat CV_8UC3 in RGB order. Random choices come from an Rng the
// caller seeds per sample.
#pragma once

#include "hornet/data/resize.h"
#include "hornet/data/rng.h"

#include <opencv2/core/mat.hpp>

#include <array>
#include <utility>

namespace hornet::data {

// ----- evaluation -------------------------------------------------------------

/// Output size of mmpretrain's ResizeEdge(scale, edge='short'): the shorter side
/// becomes `scale`, the other int(scale * other / shorter) (truncated).
/// Returns (width, height).
std::pair<int, int> resize_edge_size(int width, int height, int scale);

/// ResizeEdge with Pillow resampling.
cv::Mat resize_edge(const cv::Mat& img, int scale, Interpolation filter = Interpolation::kBicubic);

/// mmcv's CenterCrop: offset int(round((size - crop) / 2)) with Python's
/// round-half-to-even. Throws std::invalid_argument when the image is smaller
/// than the crop.
cv::Mat center_crop(const cv::Mat& img, int crop_height, int crop_width);
/// The window center_crop takes from an image of the given size.
cv::Rect center_crop_box(int width, int height, int crop_height, int crop_width);

/// ResizeEdge then CenterCrop, computing only the cropped pixels (same result).
cv::Mat resize_edge_center_crop(const cv::Mat& img, int scale, int crop_height, int crop_width,
                                Interpolation filter = Interpolation::kBicubic);

// ----- training ---------------------------------------------------------------

struct CropBox {
  int top = 0;
  int left = 0;
  int height = 0;
  int width = 0;
};

struct RandomResizedCropOptions {
  std::pair<double, double> scale{0.08, 1.0};          ///< area fraction
  std::pair<double, double> ratio{3.0 / 4.0, 4.0 / 3.0};  ///< aspect w/h, sampled log-uniformly
  int attempts = 10;
};

/// torchvision/timm/mmpretrain RandomResizedCrop parameters: up to `attempts`
/// tries of a random area and log-uniform aspect ratio, else a centre crop at
/// the closest allowed ratio.
CropBox random_resized_crop_box(int height, int width, Rng& rng, const RandomResizedCropOptions& options = {});

struct RandomErasingOptions {
  double probability = 0.25;
  double min_area = 0.02;
  double max_area = 1.0 / 3.0;
  double min_aspect = 0.3;  ///< aspect ratio in [min_aspect, 1/min_aspect], log-uniform
  int attempts = 10;
  /// Per-pixel fill ~ N(mean, std) per channel (RGB), i.e. N(0, 1) after
  /// normalisation, as timm's mode 'pixel' and mmpretrain's mode 'rand'.
  std::array<double, 3> mean{123.675, 116.28, 103.53};
  std::array<double, 3> std{58.395, 57.12, 57.375};
};

/// timm's RandomErasing on an 8-bit image, in place. Returns the erased box, or
/// a box of size 0 when nothing was erased.
CropBox random_erasing(cv::Mat& img, Rng& rng, const RandomErasingOptions& options = {});

}  // namespace hornet::data

// Evaluation and training image transforms (docs/data.md).
#include "hornet/data/transforms.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hornet::data {

namespace {
// Python's round(): half to even.
int py_round(double v) { return static_cast<int>(std::nearbyint(v)); }
}  // namespace

std::pair<int, int> resize_edge_size(int width, int height, int scale) {
  if (width < 1 || height < 1 || scale < 1) throw std::invalid_argument("resize_edge: sizes must be positive");
  if (width < height) return {scale, static_cast<int>(static_cast<double>(scale) * height / width)};
  return {static_cast<int>(static_cast<double>(scale) * width / height), scale};
}

cv::Mat resize_edge(const cv::Mat& img, int scale, Interpolation filter) {
  const auto [w, h] = resize_edge_size(img.cols, img.rows, scale);
  return pillow_resize(img, w, h, filter);
}

cv::Rect center_crop_box(int width, int height, int crop_height, int crop_width) {
  if (height < crop_height || width < crop_width) {
    throw std::invalid_argument("center_crop: image " + std::to_string(width) + "x" + std::to_string(height) +
                                " is smaller than the crop " + std::to_string(crop_width) + "x" +
                                std::to_string(crop_height));
  }
  const int y1 = std::max(0, py_round((height - crop_height) / 2.0));
  const int x1 = std::max(0, py_round((width - crop_width) / 2.0));
  return cv::Rect(x1, y1, crop_width, crop_height);
}

cv::Mat center_crop(const cv::Mat& img, int crop_height, int crop_width) {
  return img(center_crop_box(img.cols, img.rows, crop_height, crop_width)).clone();
}

cv::Mat resize_edge_center_crop(const cv::Mat& img, int scale, int crop_height, int crop_width,
                                Interpolation filter) {
  const auto [w, h] = resize_edge_size(img.cols, img.rows, scale);
  return pillow_resize_crop(img, w, h, center_crop_box(w, h, crop_height, crop_width), filter);
}

CropBox random_resized_crop_box(int height, int width, Rng& rng, const RandomResizedCropOptions& o) {
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(o.ratio.first), log_hi = std::log(o.ratio.second);
  for (int attempt = 0; attempt < o.attempts; ++attempt) {
    const double target_area = area * rng.uniform(o.scale.first, o.scale.second);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int w = py_round(std::sqrt(target_area * aspect));
    const int h = py_round(std::sqrt(target_area / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int top = static_cast<int>(rng.randint(0, height - h));
      const int left = static_cast<int>(rng.randint(0, width - w));
      return {top, left, h, w};
    }
  }
  // Fallback: a centre crop at the nearest allowed aspect ratio.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < std::min(o.ratio.first, o.ratio.second)) {
    h = py_round(w / std::min(o.ratio.first, o.ratio.second));
  } else if (in_ratio > std::max(o.ratio.first, o.ratio.second)) {
    w = py_round(h * std::max(o.ratio.first, o.ratio.second));
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

CropBox random_erasing(cv::Mat& img, Rng& rng, const RandomErasingOptions& o) {
  if (!rng.bernoulli(o.probability)) return {};
  const double area = static_cast<double>(img.rows) * img.cols;
  const double log_lo = std::log(o.min_aspect), log_hi = std::log(1.0 / o.min_aspect);
  for (int attempt = 0; attempt < o.attempts; ++attempt) {
    const double target = rng.uniform(o.min_area, o.max_area) * area;
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int h = py_round(std::sqrt(target * aspect));
    const int w = py_round(std::sqrt(target / aspect));
    if (w < img.cols && h < img.rows) {
      const int top = static_cast<int>(rng.randint(0, img.rows - h));
      const int left = static_cast<int>(rng.randint(0, img.cols - w));
      for (int y = top; y < top + h; ++y) {
        uint8_t* row = img.ptr<uint8_t>(y);
        for (int x = left; x < left + w; ++x) {
          for (int c = 0; c < 3; ++c) {
            const double v = std::nearbyint(o.mean[c] + o.std[c] * rng.normal());
            row[3 * x + c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
          }
        }
      }
      return {top, left, h, w};
    }
  }
  return {};
}

}  // namespace hornet::data

// Encoding 8-bit RGB images: JPEG (TurboJPEG) for datasets, PNG (zlib) for
// pictures a person looks at. Neither needs OpenCV imgcodecs.
#pragma once

#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

namespace hornet::data {

/// JPEG bytes of an RGB (CV_8UC3) or gray (CV_8UC1) image, 4:2:0 subsampled.
std::string encode_jpeg(const cv::Mat& img, int quality = 90);

/// PNG bytes of an RGB (CV_8UC3) or gray (CV_8UC1) image.
std::string encode_png(const cv::Mat& img);

/// Tiles equally sized RGB images into a grid `columns` wide, `pad` pixels
/// apart, on a white background.
cv::Mat make_grid(const std::vector<cv::Mat>& images, int columns, int pad = 4);

}  // namespace hornet::data

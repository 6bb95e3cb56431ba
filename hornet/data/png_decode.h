// PNG decoding with libpng, transformed as OpenCV's imdecode(IMREAD_COLOR)
// does (16-bit stripped, alpha dropped, palettes and grey expanded), so the
// pixels equal OpenCV's; libpng's warnings are returned instead of printed.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <string_view>

namespace hornet::data {

struct PngImage {
  cv::Mat rgb;          ///< CV_8UC3, RGB order
  std::string warning;  ///< libpng's first warning ("iCCP: known incorrect sRGB profile"), or empty
};

/// Decodes a PNG file's bytes; throws DecodeError with libpng's message.
PngImage decode_png(std::string_view bytes);

}  // namespace hornet::data

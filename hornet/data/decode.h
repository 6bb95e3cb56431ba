// Image decoding to 8-bit RGB.
//
// JPEG goes through libjpeg-turbo's TurboJPEG API, optionally reduced by 1/2,
// 1/4 or 1/8 in the DCT domain; other formats (PNG, BMP, WebP, TIFF, ...)
// through OpenCV imgcodecs when the build has it. The result matches
// `cv2.imdecode(buf, cv2.IMREAD_COLOR)` (what mmpretrain decodes with) turned
// into RGB: grayscale replicated to three channels, CMYK converted with
// OpenCV's formula, the EXIF orientation applied.
#pragma once

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hornet::data {

/// The bytes are not a decodable image.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ImageFormat { kJpeg, kPng, kBmp, kWebp, kTiff, kGif, kUnknown };

/// The format the bytes' signature announces (file extensions are not trusted:
/// ImageNet holds a PNG named .JPEG).
ImageFormat sniff_format(std::string_view bytes);
const char* format_name(ImageFormat format);

/// What a JPEG header says, before decoding.
struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;        ///< as displayed, after the EXIF orientation
  int height = 0;
  int orientation = 1;  ///< EXIF orientation 1-8 (1 = none)
};

/// Reads the size (and EXIF orientation) of a JPEG without decoding it; for
/// other formats returns format only (width = height = 0). Throws DecodeError.
ImageHeader read_header(std::string_view bytes);

struct DecodedImage {
  cv::Mat rgb;              ///< CV_8UC3, RGB order
  int scale_denom = 1;      ///< the DCT reduction applied: 1, 2, 4 or 8
  bool had_warnings = false;  ///< libjpeg recovered from corrupt data (e.g. a truncated file), or libpng warned
  std::string warning;        ///< what the decoder warned about, when it says (libpng)
};

/// Decodes `bytes`. A JPEG may be reduced by `scale_denom` (1, 2, 4, 8) in the
/// DCT domain; each dimension becomes ceil(size / scale_denom). Throws
/// DecodeError for empty, unknown, unsupported or undecodable data.
DecodedImage decode_image(std::string_view bytes, int scale_denom = 1);

/// Whether this build decodes non-JPEG formats (OpenCV imgcodecs).
bool has_imgcodecs();

/// Applies EXIF orientation `orientation` (1-8) to `img` in place, with the
/// same flips and transposes as OpenCV's ApplyExifOrientation.
void apply_orientation(cv::Mat& img, int orientation);

}  // namespace hornet::data

// RandAugment with timm's "increasing" policies ("rand-m9-mstd0.5-inc1", the
// official HorNet recipe; mmpretrain's 'timm_increasing' has the same ops and
// ranges).
//
// Each call picks `num_ops` of the 15 ops uniformly with replacement; each is
// applied with probability 0.5 at a magnitude drawn from N(9, 0.5) clipped to
// [0, 10]. The ops follow PIL's definitions (ImageOps, ImageEnhance, affine
// transforms with a constant fill); geometric ops resample bicubically.
#pragma once

#include "hornet/data/rng.h"

#include <opencv2/core/mat.hpp>

#include <array>
#include <string>
#include <vector>

namespace hornet::data {

enum class AugOp {
  kAutoContrast,
  kEqualize,
  kInvert,
  kRotate,       ///< 0-30 degrees, random sign
  kPosterize,    ///< bits 4 -> 0 as the magnitude grows
  kSolarize,     ///< threshold 256 -> 0
  kSolarizeAdd,  ///< add 0-110 below 128
  kColor,        ///< factor 1 +- 0-0.9
  kContrast,
  kBrightness,
  kSharpness,
  kShearX,       ///< 0-0.3, random sign
  kShearY,
  kTranslateX,   ///< 0-45% of the width, random sign
  kTranslateY,
};

/// All 15 ops, in timm's order.
const std::vector<AugOp>& all_aug_ops();
std::string aug_op_name(AugOp op);

struct RandAugmentOptions {
  int num_ops = 2;
  double magnitude = 9.0;
  double magnitude_std = 0.5;
  double magnitude_max = 10.0;
  double probability = 0.5;  ///< per selected op
  /// Fill of the area geometric ops uncover: the ImageNet mean in RGB.
  std::array<uint8_t, 3> fill{124, 116, 104};
  std::vector<AugOp> ops = all_aug_ops();
};

/// Applies RandAugment to an 8-bit RGB image.
cv::Mat rand_augment(const cv::Mat& img, Rng& rng, const RandAugmentOptions& options = {});

/// Applies one op at `magnitude` (0-10); the random sign of signed ops comes
/// from `rng`.
cv::Mat apply_aug_op(const cv::Mat& img, AugOp op, double magnitude, Rng& rng, const RandAugmentOptions& options);

/// The ops with explicit parameters (PIL semantics), for direct use and tests.
namespace aug {
cv::Mat auto_contrast(const cv::Mat& img);
cv::Mat equalize(const cv::Mat& img);
cv::Mat invert(const cv::Mat& img);
cv::Mat posterize(const cv::Mat& img, int bits);
cv::Mat solarize(const cv::Mat& img, int threshold);
cv::Mat solarize_add(const cv::Mat& img, int add, int threshold = 128);
/// ImageEnhance: blend of a degenerate image and `img` by `factor`.
cv::Mat color(const cv::Mat& img, double factor);
cv::Mat contrast(const cv::Mat& img, double factor);
cv::Mat brightness(const cv::Mat& img, double factor);
cv::Mat sharpness(const cv::Mat& img, double factor);
/// PIL's affine transform: output pixel centre (x, y) samples the input at
/// (a x + b y + c, d x + e y + f), continuous coordinates with pixel centres at
/// +0.5; outside the input it takes `fill`. Bicubic.
cv::Mat affine(const cv::Mat& img, const std::array<double, 6>& m, const std::array<uint8_t, 3>& fill);
/// Counter-clockwise rotation about the image centre, as PIL's Image.rotate.
cv::Mat rotate(const cv::Mat& img, double degrees, const std::array<uint8_t, 3>& fill);
cv::Mat shear_x(const cv::Mat& img, double factor, const std::array<uint8_t, 3>& fill);
cv::Mat shear_y(const cv::Mat& img, double factor, const std::array<uint8_t, 3>& fill);
cv::Mat translate_x(const cv::Mat& img, double pixels, const std::array<uint8_t, 3>& fill);
cv::Mat translate_y(const cv::Mat& img, double pixels, const std::array<uint8_t, 3>& fill);
/// PIL's grayscale: (299 R + 587 G + 114 B) / 1000 in 16-bit fixed point.
cv::Mat to_gray(const cv::Mat& img);
}  // namespace aug

}  // namespace hornet::data

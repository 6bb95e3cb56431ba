// RandAugment ops (timm auto_augment.py semantics; PIL ImageOps / ImageEnhance
// definitions).
#include "hornet/data/rand_augment.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hornet::data {

const std::vector<AugOp>& all_aug_ops() {
  static const std::vector<AugOp> ops = {
      AugOp::kAutoContrast, AugOp::kEqualize,   AugOp::kInvert,     AugOp::kRotate,    AugOp::kPosterize,
      AugOp::kSolarize,     AugOp::kSolarizeAdd, AugOp::kColor,     AugOp::kContrast,  AugOp::kBrightness,
      AugOp::kSharpness,    AugOp::kShearX,     AugOp::kShearY,     AugOp::kTranslateX, AugOp::kTranslateY};
  return ops;
}

std::string aug_op_name(AugOp op) {
  static const char* names[] = {"AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing",
                                "SolarizeIncreasing", "SolarizeAdd", "ColorIncreasing", "ContrastIncreasing",
                                "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY",
                                "TranslateXRel", "TranslateYRel"};
  return names[static_cast<int>(op)];
}

namespace aug {

namespace {
cv::Mat apply_lut(const cv::Mat& img, const std::array<std::array<uint8_t, 256>, 3>& lut) {
  cv::Mat out(img.size(), img.type());
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* s = img.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < 3 * img.cols; x += 3) {
      o[x] = lut[0][s[x]];
      o[x + 1] = lut[1][s[x + 1]];
      o[x + 2] = lut[2][s[x + 2]];
    }
  }
  return out;
}

template <typename F>
cv::Mat map_pixels(const cv::Mat& img, F f) {
  std::array<std::array<uint8_t, 256>, 3> lut;
  for (int i = 0; i < 256; ++i) lut[0][i] = lut[1][i] = lut[2][i] = static_cast<uint8_t>(f(i));
  return apply_lut(img, lut);
}

std::array<std::array<int64_t, 256>, 3> histograms(const cv::Mat& img) {
  std::array<std::array<int64_t, 256>, 3> h{};
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* s = img.ptr<uint8_t>(y);
    for (int x = 0; x < 3 * img.cols; x += 3) {
      ++h[0][s[x]];
      ++h[1][s[x + 1]];
      ++h[2][s[x + 2]];
    }
  }
  return h;
}

// PIL's Image.blend(a, b, alpha) for 8-bit images: a + alpha (b - a), clipped
// and truncated.
cv::Mat blend(const cv::Mat& a, const cv::Mat& b, double alpha) {
  cv::Mat out(a.size(), a.type());
  const int n = a.cols * 3;
  for (int y = 0; y < a.rows; ++y) {
    const uint8_t* pa = a.ptr<uint8_t>(y);
    const uint8_t* pb = b.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < n; ++x) {
      const float v = static_cast<float>(pa[x]) + static_cast<float>(alpha) * (static_cast<float>(pb[x]) - pa[x]);
      o[x] = v <= 0.0f ? 0 : (v >= 255.0f ? 255 : static_cast<uint8_t>(v));
    }
  }
  return out;
}

cv::Mat gray_to_rgb(const cv::Mat& gray) {
  cv::Mat out(gray.size(), CV_8UC3);
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* g = gray.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = g[x];
  }
  return out;
}
}  // namespace

cv::Mat to_gray(const cv::Mat& img) {
  cv::Mat out(img.size(), CV_8UC1);
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* s = img.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      o[x] = static_cast<uint8_t>((s[3 * x] * 19595 + s[3 * x + 1] * 38470 + s[3 * x + 2] * 7471 + 0x8000) >> 16);
    }
  }
  return out;
}

cv::Mat auto_contrast(const cv::Mat& img) {
  const auto h = histograms(img);
  std::array<std::array<uint8_t, 256>, 3> lut;
  for (int c = 0; c < 3; ++c) {
    int lo = 0, hi = 255;
    while (lo < 256 && h[c][lo] == 0) ++lo;
    while (hi >= 0 && h[c][hi] == 0) --hi;
    for (int i = 0; i < 256; ++i) {
      if (hi <= lo) {
        lut[c][i] = static_cast<uint8_t>(i);
      } else {
        const double scale = 255.0 / (hi - lo);
        const int v = static_cast<int>(i * scale - lo * scale);
        lut[c][i] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return apply_lut(img, lut);
}

cv::Mat equalize(const cv::Mat& img) {
  const auto h = histograms(img);
  std::array<std::array<uint8_t, 256>, 3> lut;
  for (int c = 0; c < 3; ++c) {
    int64_t total = 0, last = 0, nonzero = 0;
    for (int i = 0; i < 256; ++i) {
      if (h[c][i]) {
        total += h[c][i];
        last = h[c][i];
        ++nonzero;
      }
    }
    const int64_t step = nonzero <= 1 ? 0 : (total - last) / 255;
    int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      if (step == 0) {
        lut[c][i] = static_cast<uint8_t>(i);
      } else {
        lut[c][i] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
        n += h[c][i];
      }
    }
  }
  return apply_lut(img, lut);
}

cv::Mat invert(const cv::Mat& img) {
  return map_pixels(img, [](int i) { return 255 - i; });
}

cv::Mat posterize(const cv::Mat& img, int bits) {
  const int mask = ~((1 << (8 - std::clamp(bits, 0, 8))) - 1);
  return map_pixels(img, [mask](int i) { return i & mask & 0xff; });
}

cv::Mat solarize(const cv::Mat& img, int threshold) {
  return map_pixels(img, [threshold](int i) { return i < threshold ? i : 255 - i; });
}

cv::Mat solarize_add(const cv::Mat& img, int add, int threshold) {
  return map_pixels(img, [add, threshold](int i) { return i < threshold ? std::min(255, i + add) : i; });
}

cv::Mat color(const cv::Mat& img, double factor) { return blend(gray_to_rgb(to_gray(img)), img, factor); }

cv::Mat contrast(const cv::Mat& img, double factor) {
  const cv::Mat gray = to_gray(img);
  double sum = 0.0;
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* g = gray.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) sum += g[x];
  }
  const int mean = static_cast<int>(sum / (static_cast<double>(gray.rows) * gray.cols) + 0.5);
  const cv::Mat degenerate(img.size(), CV_8UC3, cv::Scalar(mean, mean, mean));
  return blend(degenerate, img, factor);
}

cv::Mat brightness(const cv::Mat& img, double factor) {
  return blend(cv::Mat::zeros(img.size(), CV_8UC3), img, factor);
}

cv::Mat sharpness(const cv::Mat& img, double factor) {
  // PIL's SMOOTH filter ([[1,1,1],[1,5,1],[1,1,1]] / 13) on the interior;
  // the one-pixel border keeps its values.
  cv::Mat smooth = img.clone();
  for (int y = 1; y + 1 < img.rows; ++y) {
    const uint8_t* r0 = img.ptr<uint8_t>(y - 1);
    const uint8_t* r1 = img.ptr<uint8_t>(y);
    const uint8_t* r2 = img.ptr<uint8_t>(y + 1);
    uint8_t* o = smooth.ptr<uint8_t>(y);
    for (int x = 3; x + 3 < 3 * img.cols; ++x) {
      const int s = r0[x - 3] + r0[x] + r0[x + 3] + r1[x - 3] + 5 * r1[x] + r1[x + 3] + r2[x - 3] + r2[x] + r2[x + 3];
      o[x] = static_cast<uint8_t>(std::clamp(static_cast<int>(s / 13.0f + 0.5f), 0, 255));
    }
  }
  return blend(smooth, img, factor);
}

cv::Mat affine(const cv::Mat& img, const std::array<double, 6>& m, const std::array<uint8_t, 3>& fill) {
  // PIL samples at continuous coordinates with pixel centres at +0.5; OpenCV's
  // inverse map uses integer centres: src = M (dst + 0.5) - 0.5.
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5];
  const cv::Matx23d map(a, b, c + 0.5 * a + 0.5 * b - 0.5, d, e, f + 0.5 * d + 0.5 * e - 0.5);
  cv::Mat out;
  cv::warpAffine(img, out, map, img.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 cv::Scalar(fill[0], fill[1], fill[2]));
  return out;
}

cv::Mat rotate(const cv::Mat& img, double degrees, const std::array<uint8_t, 3>& fill) {
  const double cx = img.cols / 2.0, cy = img.rows / 2.0;
  const double angle = -degrees * M_PI / 180.0;
  // PIL rounds the matrix to 15 decimals, so 90-degree turns are exact.
  const auto round15 = [](double v) { return std::round(v * 1e15) / 1e15; };
  const double ca = round15(std::cos(angle)), sa = round15(std::sin(angle));
  // Inverse map about the centre, as PIL's Image.rotate builds it.
  std::array<double, 6> m{ca, sa, 0.0, -sa, ca, 0.0};
  m[2] = ca * -cx + sa * -cy + cx;
  m[5] = -sa * -cx + ca * -cy + cy;
  return affine(img, m, fill);
}

cv::Mat shear_x(const cv::Mat& img, double factor, const std::array<uint8_t, 3>& fill) {
  return affine(img, {1, factor, 0, 0, 1, 0}, fill);
}
cv::Mat shear_y(const cv::Mat& img, double factor, const std::array<uint8_t, 3>& fill) {
  return affine(img, {1, 0, 0, factor, 1, 0}, fill);
}
cv::Mat translate_x(const cv::Mat& img, double pixels, const std::array<uint8_t, 3>& fill) {
  return affine(img, {1, 0, pixels, 0, 1, 0}, fill);
}
cv::Mat translate_y(const cv::Mat& img, double pixels, const std::array<uint8_t, 3>& fill) {
  return affine(img, {1, 0, 0, 0, 1, pixels}, fill);
}

}  // namespace aug

cv::Mat apply_aug_op(const cv::Mat& img, AugOp op, double magnitude, Rng& rng, const RandAugmentOptions& o) {
  const double level = magnitude / 10.0;  // timm's _MAX_LEVEL
  const auto sign = [&rng](double v) { return rng.uniform() > 0.5 ? -v : v; };
  switch (op) {
    case AugOp::kAutoContrast: return aug::auto_contrast(img);
    case AugOp::kEqualize: return aug::equalize(img);
    case AugOp::kInvert: return aug::invert(img);
    case AugOp::kRotate: return aug::rotate(img, sign(level * 30.0), o.fill);
    case AugOp::kPosterize: return aug::posterize(img, 4 - static_cast<int>(level * 4));
    case AugOp::kSolarize: return aug::solarize(img, 256 - static_cast<int>(level * 256));
    case AugOp::kSolarizeAdd: return aug::solarize_add(img, static_cast<int>(level * 110));
    case AugOp::kColor: return aug::color(img, 1.0 + sign(level * 0.9));
    case AugOp::kContrast: return aug::contrast(img, 1.0 + sign(level * 0.9));
    case AugOp::kBrightness: return aug::brightness(img, 1.0 + sign(level * 0.9));
    case AugOp::kSharpness: return aug::sharpness(img, 1.0 + sign(level * 0.9));
    case AugOp::kShearX: return aug::shear_x(img, sign(level * 0.3), o.fill);
    case AugOp::kShearY: return aug::shear_y(img, sign(level * 0.3), o.fill);
    case AugOp::kTranslateX: return aug::translate_x(img, sign(level * 0.45) * img.cols, o.fill);
    case AugOp::kTranslateY: return aug::translate_y(img, sign(level * 0.45) * img.rows, o.fill);
  }
  throw std::invalid_argument("unknown RandAugment op");
}

cv::Mat rand_augment(const cv::Mat& img, Rng& rng, const RandAugmentOptions& o) {
  if (o.ops.empty()) return img;
  cv::Mat out = img;
  for (int k = 0; k < o.num_ops; ++k) {
    const AugOp op = o.ops[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(o.ops.size()) - 1))];
    if (o.probability < 1.0 && rng.uniform() > o.probability) continue;
    double magnitude = o.magnitude;
    if (o.magnitude_std > 0) magnitude = rng.normal(o.magnitude, o.magnitude_std);
    magnitude = std::clamp(magnitude, 0.0, o.magnitude_max);
    out = apply_aug_op(out, op, magnitude, rng, o);
  }
  return out;
}

}  // namespace hornet::data

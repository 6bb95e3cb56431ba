// Pillow's resampling (Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner).
#include "hornet/data/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hornet::data {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double bilinear(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Fixed-point weights of every output pixel along one axis.
struct Coefficients {
  int ksize = 0;
  std::vector<int> bounds;   // per output: first input index, count
  std::vector<int32_t> k;    // per output: ksize weights
};

Coefficients precompute(int in_size, int out_size, Interpolation filter) {
  const double support_base = filter == Interpolation::kBicubic ? 2.0 : 1.0;
  double (*fn)(double) = filter == Interpolation::kBicubic ? bicubic : bilinear;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = support_base * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * static_cast<size_t>(out_size));
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = fn((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      // Round half away from zero, as Pillow's normalize_coeffs_8bpc does.
      c.k[static_cast<size_t>(xx) * c.ksize + x] =
          static_cast<int32_t>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over rows [row0, row0 + out.rows) of `in`.
void horizontal(const cv::Mat& in, cv::Mat& out, int row0, const Coefficients& c) {
  const int ch = in.channels();
  for (int y = 0; y < out.rows; ++y) {
    const uint8_t* src = in.ptr<uint8_t>(y + row0);
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int xx = 0; xx < out.cols; ++xx) {
      const int xmin = c.bounds[2 * xx], xmax = c.bounds[2 * xx + 1];
      const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
      for (int b = 0; b < ch; ++b) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        const uint8_t* p = src + xmin * ch + b;
        for (int x = 0; x < xmax; ++x) ss += p[x * ch] * k[x];
        dst[xx * ch + b] = clip8(ss);
      }
    }
  }
}

void vertical(const cv::Mat& in, cv::Mat& out, int row_shift, const Coefficients& c) {
  const int width = in.cols * in.channels();
  std::vector<int32_t> acc(static_cast<size_t>(width));
  for (int yy = 0; yy < out.rows; ++yy) {
    const int ymin = c.bounds[2 * yy] - row_shift, ymax = c.bounds[2 * yy + 1];
    const int32_t* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < ymax; ++y) {
      const uint8_t* src = in.ptr<uint8_t>(ymin + y);
      const int32_t w = k[y];
      for (int x = 0; x < width; ++x) acc[x] += src[x] * w;
    }
    uint8_t* dst = out.ptr<uint8_t>(yy);
    for (int x = 0; x < width; ++x) dst[x] = clip8(acc[x]);
  }
}

}  // namespace

cv::Mat pillow_resize(const cv::Mat& src, int width, int height, Interpolation filter) {
  if (src.empty() || src.depth() != CV_8U || src.channels() > 4) {
    throw std::invalid_argument("pillow_resize: expected a non-empty 8-bit image of 1-4 channels");
  }
  if (width < 1 || height < 1) {
    throw std::invalid_argument("pillow_resize: target size must be positive, got " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
  const bool need_h = width != src.cols;
  const bool need_v = height != src.rows;
  if (!need_h && !need_v) return src.clone();
  const Coefficients ch = precompute(src.cols, width, filter);
  const Coefficients cv = precompute(src.rows, height, filter);
  cv::Mat cur = src;
  int row_shift = 0;
  if (need_h) {
    // Only the rows the vertical pass reads.
    const int first = need_v ? cv.bounds[0] : 0;
    const int last = need_v ? cv.bounds[2 * (height - 1)] + cv.bounds[2 * (height - 1) + 1] : src.rows;
    cv::Mat tmp(last - first, width, src.type());
    horizontal(src, tmp, first, ch);
    cur = tmp;
    row_shift = first;
  }
  if (!need_v) return cur;
  cv::Mat out(height, cur.cols, src.type());
  vertical(cur, out, row_shift, cv);
  return out;
}

}  // namespace hornet::data

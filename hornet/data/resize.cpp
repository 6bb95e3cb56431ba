// Pillow's resampling (Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner).
#include "hornet/data/resize.h"

#include <opencv2/core.hpp>

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

// Compiled for AVX2 as well as the baseline; the loader picks at run time by
// the CPU's flags. (Integer sums: every clone gives the same bytes.)
__attribute__((target_clones("avx2", "default")))
void vertical(const cv::Mat& in, cv::Mat& out, int row_shift, const Coefficients& c) {
  const int width = in.cols * in.channels();
  std::vector<int32_t> buffer(static_cast<size_t>(width));
  int32_t* __restrict acc = buffer.data();
  for (int yy = 0; yy < out.rows; ++yy) {
    const int ymin = c.bounds[2 * yy] - row_shift, ymax = c.bounds[2 * yy + 1];
    const int32_t* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    for (int x = 0; x < width; ++x) acc[x] = 1 << (kPrecisionBits - 1);
    // Row by row, so the inner loop runs over contiguous bytes (vectorised).
    for (int y = 0; y < ymax; ++y) {
      const uint8_t* __restrict src = in.ptr<uint8_t>(ymin + y);
      const int32_t w = k[y];
      for (int x = 0; x < width; ++x) acc[x] += static_cast<int32_t>(src[x]) * w;
    }
    uint8_t* __restrict dst = out.ptr<uint8_t>(yy);
    for (int x = 0; x < width; ++x) {
      const int32_t v = acc[x] >> kPrecisionBits;
      dst[x] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
  }
}

}  // namespace

cv::Mat pillow_resize(const cv::Mat& src, int width, int height, Interpolation filter) {
  return pillow_resize_crop(src, width, height, cv::Rect(0, 0, width, height), filter);
}

cv::Mat pillow_resize_crop(const cv::Mat& src, int width, int height, const cv::Rect& crop, Interpolation filter) {
  if (src.empty() || src.depth() != CV_8U || src.channels() > 4) {
    throw std::invalid_argument("pillow_resize: expected a non-empty 8-bit image of 1-4 channels");
  }
  if (width < 1 || height < 1) {
    throw std::invalid_argument("pillow_resize: target size must be positive, got " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
  if (crop.x < 0 || crop.y < 0 || crop.width < 1 || crop.height < 1 || crop.x + crop.width > width ||
      crop.y + crop.height > height) {
    throw std::invalid_argument("pillow_resize: crop window outside the " + std::to_string(width) + "x" +
                                std::to_string(height) + " output");
  }
  const bool need_h = width != src.cols;
  const bool need_v = height != src.rows;
  if (!need_h && !need_v) return src(crop).clone();
  // Output pixels are independent: keep the weights of the window only.
  Coefficients ch = precompute(src.cols, width, filter);
  Coefficients cv = precompute(src.rows, height, filter);
  const auto window = [](Coefficients& c, int begin, int count) {
    c.bounds.erase(c.bounds.begin(), c.bounds.begin() + 2 * begin);
    c.bounds.resize(2 * static_cast<size_t>(count));
    c.k.erase(c.k.begin(), c.k.begin() + static_cast<std::ptrdiff_t>(begin) * c.ksize);
    c.k.resize(static_cast<size_t>(count) * c.ksize);
  };
  window(ch, crop.x, crop.width);
  window(cv, crop.y, crop.height);
  cv::Mat cur = need_h ? src : src.colRange(crop.x, crop.x + crop.width);
  int row_shift = 0;
  if (need_h) {
    // Only the rows the vertical pass reads.
    const int first = need_v ? cv.bounds[0] : crop.y;
    const int last = need_v ? cv.bounds[2 * (crop.height - 1)] + cv.bounds[2 * (crop.height - 1) + 1]
                            : crop.y + crop.height;
    // ... and only the columns the window's horizontal weights read.
    const int first_col = ch.bounds[0];
    const int last_col = ch.bounds[2 * (crop.width - 1)] + ch.bounds[2 * (crop.width - 1) + 1];
    // The horizontal pass is the vertical one on the transposed image: the
    // same sums and roundings, but over contiguous memory.
    cv::Mat transposed, tmp;
    cv::transpose(src(cv::Range(first, last), cv::Range(first_col, last_col)), transposed);
    cv::Mat across(crop.width, transposed.cols, src.type());
    vertical(transposed, across, first_col, ch);
    cv::transpose(across, tmp);
    cur = tmp;
    row_shift = first;
  }
  if (!need_v) return cur;
  cv::Mat out(crop.height, cur.cols, src.type());
  vertical(cur.isContinuous() ? cur : cur.clone(), out, row_shift, cv);
  return out;
}

}  // namespace hornet::data

// Procedural shapes drawn with OpenCV's imgproc, encoded with TurboJPEG.
#include "hornet/data/toy_dataset.h"

#include "hornet/data/encode.h"
#include "hornet/data/rng.h"
#include "hornet/io/file_util.h"

#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace hornet::data {

const std::vector<std::string>& toy_class_names() {
  static const std::vector<std::string> names = {"circle", "square", "triangle", "horizontal_stripes",
                                                 "vertical_stripes", "checkerboard", "cross", "ring"};
  return names;
}

namespace {

cv::Scalar random_color(Rng& rng) {
  return cv::Scalar(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255));
}

// Foreground far enough from the background to be seen.
cv::Scalar contrasting(Rng& rng, const cv::Scalar& bg) {
  for (int k = 0; k < 20; ++k) {
    const cv::Scalar c = random_color(rng);
    if (std::abs(c[0] - bg[0]) + std::abs(c[1] - bg[1]) + std::abs(c[2] - bg[2]) > 200) return c;
  }
  return cv::Scalar(255 - bg[0], 255 - bg[1], 255 - bg[2]);
}

cv::Mat draw(int label, int size, Rng& rng) {
  const cv::Scalar bg = random_color(rng);
  const cv::Scalar fg = contrasting(rng, bg);
  cv::Mat img(size, size, CV_8UC3, bg);
  const double s = size;
  const int cx = static_cast<int>(rng.uniform(0.35, 0.65) * s), cy = static_cast<int>(rng.uniform(0.35, 0.65) * s);
  const int r = static_cast<int>(rng.uniform(0.18, 0.32) * s);
  const int period = std::max(4, static_cast<int>(rng.uniform(0.1, 0.2) * s));
  switch (label) {
    case 0: cv::circle(img, {cx, cy}, r, fg, cv::FILLED, cv::LINE_AA); break;
    case 1: cv::rectangle(img, {cx - r, cy - r}, {cx + r, cy + r}, fg, cv::FILLED); break;
    case 2: {
      std::vector<cv::Point> tri = {{cx, cy - r}, {cx - r, cy + r}, {cx + r, cy + r}};
      cv::fillConvexPoly(img, tri, fg, cv::LINE_AA);
      break;
    }
    case 3:
      for (int y = static_cast<int>(rng.randint(0, period - 1)); y < size; y += period) {
        cv::rectangle(img, {0, y}, {size - 1, y + period / 2 - 1}, fg, cv::FILLED);
      }
      break;
    case 4:
      for (int x = static_cast<int>(rng.randint(0, period - 1)); x < size; x += period) {
        cv::rectangle(img, {x, 0}, {x + period / 2 - 1, size - 1}, fg, cv::FILLED);
      }
      break;
    case 5:
      for (int y = 0; y < size; y += period)
        for (int x = 0; x < size; x += period) {
          if (((x / period) + (y / period)) % 2 == 0) cv::rectangle(img, {x, y}, {x + period - 1, y + period - 1}, fg, cv::FILLED);
        }
      break;
    case 6: {
      const int t = std::max(2, r / 3);
      cv::rectangle(img, {cx - r, cy - t}, {cx + r, cy + t}, fg, cv::FILLED);
      cv::rectangle(img, {cx - t, cy - r}, {cx + t, cy + r}, fg, cv::FILLED);
      break;
    }
    case 7: cv::circle(img, {cx, cy}, r, fg, std::max(2, r / 4), cv::LINE_AA); break;
    default: throw std::invalid_argument("toy dataset: no class " + std::to_string(label));
  }
  // Pixel noise, so the JPEGs look like photographs rather than flat art.
  cv::Mat noise(img.size(), CV_16SC3);
  cv::randn(noise, 0, 8);
  cv::Mat out;
  img.convertTo(out, CV_16SC3);
  out += noise;
  out.convertTo(img, CV_8UC3);
  return img;
}

}  // namespace

int64_t make_toy_dataset(const std::string& root, const ToyDatasetOptions& o) {
  namespace fs = std::filesystem;
  const auto& names = toy_class_names();
  if (o.classes < 2 || o.classes > static_cast<int>(names.size())) {
    throw std::invalid_argument("toy dataset: classes must be in [2, " + std::to_string(names.size()) + "]");
  }
  if (o.size < 16) throw std::invalid_argument("toy dataset: size must be at least 16");
  int64_t written = 0;
  for (const auto& [split, count] : {std::pair<std::string, int>{"train", o.train_per_class}, {"val", o.val_per_class}}) {
    for (int c = 0; c < o.classes; ++c) {
      const fs::path dir = fs::path(root) / split / names[static_cast<size_t>(c)];
      fs::create_directories(dir);
      for (int k = 0; k < count; ++k) {
        Rng rng({o.seed, split == "train" ? 1u : 2u, static_cast<uint64_t>(c), static_cast<uint64_t>(k)});
        char name[32];
        std::snprintf(name, sizeof name, "%05d.jpg", k);
        io::write_file_atomic((dir / name).string(), encode_jpeg(draw(c, o.size, rng), o.quality));
        ++written;
      }
    }
  }
  return written;
}

}  // namespace hornet::data

// Training augmentations against their definitions: RandAugment's pixel ops
// against Pillow itself, its geometric ops against exact pixel mappings, the
// magnitude mapping and op selection, RandomResizedCrop, RandomErasing,
// Mixup and CutMix.
#include "hornet/data/batch_transforms.h"
#include "hornet/data/image_tensor.h"
#include "hornet/data/rand_augment.h"
#include "hornet/data/transforms.h"
#include "hornet/io/npy.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <cmath>
#include <functional>

using namespace hornet;
using namespace hornet::data;

namespace {
std::string aug_dir() { return test::fixture_dir() + "/images/augment/"; }
cv::Mat load(const std::string& name) { return tensor_to_image(io::read_npy(aug_dir() + name + ".npy")); }
int64_t differing(const cv::Mat& a, const cv::Mat& b) {
  return (image_to_tensor(a) != image_to_tensor(b)).sum().item<int64_t>();
}
const std::array<uint8_t, 3> kFill{124, 116, 104};

cv::Mat ramp(int h, int w) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 7 + y) % 256, (y * 5) % 256, (x + y * 3) % 256);
  return img;
}
}  // namespace

TEST_CASE("RandAugment pixel ops equal Pillow's ImageOps and ImageEnhance", "[data][augment]") {
  const cv::Mat src = load("input"), low = load("input_low");
  const std::vector<std::pair<std::string, std::function<cv::Mat()>>> cases = {
      {"autocontrast_low", [&] { return aug::auto_contrast(low); }},
      {"equalize", [&] { return aug::equalize(src); }},
      {"equalize_low", [&] { return aug::equalize(low); }},
      {"invert", [&] { return aug::invert(src); }},
      {"posterize_1", [&] { return aug::posterize(src, 1); }},
      {"posterize_4", [&] { return aug::posterize(src, 4); }},
      {"solarize_26", [&] { return aug::solarize(src, 26); }},
      {"solarize_128", [&] { return aug::solarize(src, 128); }},
      {"solarize_add_99", [&] { return aug::solarize_add(src, 99); }},
      {"gray", [&] { return aug::to_gray(src); }},
  };
  for (const auto& [name, fn] : cases) {
    INFO(name);
    CHECK(differing(fn(), load(name)) == 0);
  }
  for (const char* factor : {"0.1", "0.55", "1.9"}) {
    const double f = std::stod(factor);
    INFO("factor " << factor);
    CHECK(differing(aug::color(src, f), load(std::string("color_") + factor)) == 0);
    CHECK(differing(aug::contrast(src, f), load(std::string("contrast_") + factor)) == 0);
    CHECK(differing(aug::brightness(src, f), load(std::string("brightness_") + factor)) == 0);
    CHECK(differing(aug::sharpness(src, f), load(std::string("sharpness_") + factor)) == 0);
  }
}

TEST_CASE("RandAugment geometric ops map pixels as PIL's affine transforms define", "[data][augment]") {
  const cv::Mat img = ramp(40, 40);
  // A quarter turn about the centre lands every pixel centre on a pixel centre.
  cv::Mat expected;
  cv::rotate(img, expected, cv::ROTATE_90_COUNTERCLOCKWISE);
  CHECK(differing(aug::rotate(img, 90.0, kFill), expected) == 0);
  cv::rotate(img, expected, cv::ROTATE_180);
  CHECK(differing(aug::rotate(img, 180.0, kFill), expected) == 0);

  // Translate by +7 pixels: output x samples input x + 7; uncovered pixels take the fill.
  const cv::Mat rect = ramp(30, 50);
  const cv::Mat tx = aug::translate_x(rect, 7.0, kFill);
  const cv::Mat ty = aug::translate_y(rect, -4.0, kFill);
  for (int y = 0; y < rect.rows; ++y)
    for (int x = 0; x < rect.cols; ++x) {
      const cv::Vec3b want_x = x + 7 < rect.cols ? rect.at<cv::Vec3b>(y, x + 7) : cv::Vec3b(124, 116, 104);
      const cv::Vec3b want_y = y - 4 >= 0 ? rect.at<cv::Vec3b>(y - 4, x) : cv::Vec3b(124, 116, 104);
      REQUIRE(tx.at<cv::Vec3b>(y, x) == want_x);
      REQUIRE(ty.at<cv::Vec3b>(y, x) == want_y);
    }
  // Shear by 2: output (x, y) samples the input at continuous x + 0.5 + 2 (y + 0.5),
  // exactly pixel x + 2y + 1 (and y + 2x + 1 for shear_y).
  const cv::Mat sx = aug::shear_x(rect, 2.0, kFill);
  const cv::Mat sy = aug::shear_y(rect, 2.0, kFill);
  for (int y = 0; y < rect.rows; ++y)
    for (int x = 0; x < rect.cols; ++x) {
      const int xs = x + 2 * y + 1;
      const cv::Vec3b want = xs < rect.cols ? rect.at<cv::Vec3b>(y, xs) : cv::Vec3b(124, 116, 104);
      REQUIRE(sx.at<cv::Vec3b>(y, x) == want);
      const int ys = y + 2 * x + 1;
      const cv::Vec3b want_y = ys < rect.rows ? rect.at<cv::Vec3b>(ys, x) : cv::Vec3b(124, 116, 104);
      REQUIRE(sy.at<cv::Vec3b>(y, x) == want_y);
    }
}

TEST_CASE("RandAugment magnitudes map to timm's increasing ranges", "[data][augment]") {
  const cv::Mat img = load("input");
  RandAugmentOptions o;
  Rng rng({1});
  // Magnitude 9: posterize to 4 - int(3.6) = 1 bit, solarize at 256 - int(230.4) = 26, add int(99) = 99.
  CHECK(differing(apply_aug_op(img, AugOp::kPosterize, 9, rng, o), aug::posterize(img, 1)) == 0);
  CHECK(differing(apply_aug_op(img, AugOp::kSolarize, 9, rng, o), aug::solarize(img, 26)) == 0);
  CHECK(differing(apply_aug_op(img, AugOp::kSolarizeAdd, 9, rng, o), aug::solarize_add(img, 99)) == 0);
  CHECK(differing(apply_aug_op(img, AugOp::kPosterize, 10, rng, o), aug::posterize(img, 0)) == 0);
  // Signed ops take +-: rotation by 30 degrees at magnitude 10, both signs over a few draws.
  int plus = 0, minus = 0;
  for (int k = 0; k < 16; ++k) {
    const cv::Mat r = apply_aug_op(img, AugOp::kRotate, 10, rng, o);
    plus += differing(r, aug::rotate(img, 30.0, o.fill)) == 0;
    minus += differing(r, aug::rotate(img, -30.0, o.fill)) == 0;
  }
  CHECK(plus + minus == 16);
  CHECK(plus > 0);
  CHECK(minus > 0);
  const cv::Mat c = apply_aug_op(img, AugOp::kColor, 5, rng, o);
  CHECK((differing(c, aug::color(img, 1.45)) == 0 || differing(c, aug::color(img, 0.55)) == 0));
  const cv::Mat t = apply_aug_op(img, AugOp::kTranslateX, 10, rng, o);
  CHECK((differing(t, aug::translate_x(img, 0.45 * 224, o.fill)) == 0 ||
         differing(t, aug::translate_x(img, -0.45 * 224, o.fill)) == 0));
  CHECK(all_aug_ops().size() == 15);
}

TEST_CASE("RandAugment applies two uniformly chosen ops, each with probability 0.5", "[data][augment]") {
  // With only Invert available, an image comes back inverted iff an odd number
  // of the two draws fired: P = 2 * 0.5 * 0.5 = 0.5; unchanged 0.5.
  const cv::Mat img = ramp(8, 8);
  RandAugmentOptions o;
  o.ops = {AugOp::kInvert};
  int inverted = 0;
  const int n = 4000;
  for (int k = 0; k < n; ++k) {
    Rng rng({7, static_cast<uint64_t>(k)});
    inverted += differing(rand_augment(img, rng, o), aug::invert(img)) == 0;
  }
  CHECK(inverted / double(n) == Approx(0.5).margin(0.04));
  // Same seed, same result.
  Rng a({3}), b({3});
  CHECK(differing(rand_augment(load("input"), a), rand_augment(load("input"), b)) == 0);
}

TEST_CASE("RandomResizedCrop: boxes inside, area 8-100%, log-uniform ratio 3/4-4/3, centre fallback",
          "[data][augment]") {
  Rng rng({11});
  const int n = 5000;
  for (int k = 0; k < n; ++k) {
    const auto b = random_resized_crop_box(375, 500, rng);
    REQUIRE(b.top >= 0);
    REQUIRE(b.left >= 0);
    REQUIRE(b.top + b.height <= 375);
    REQUIRE(b.left + b.width <= 500);
    const double area = double(b.width) * b.height / (375.0 * 500.0);
    REQUIRE(area >= 0.08 * 0.97);
    REQUIRE(area <= 1.0);
    const double ratio = double(b.width) / b.height;
    REQUIRE(ratio >= 0.75 * 0.95);
    REQUIRE(ratio <= 4.0 / 3.0 / 0.95);
  }
  // Small areas are never rejected: their aspect ratios are log-uniform on
  // [log 3/4, log 4/3], so the log ratio has mean 0 and variance (log 16/9)^2 / 12.
  std::vector<double> logs;
  for (int k = 0; k < n; ++k) {
    const auto b = random_resized_crop_box(1000, 1000, rng, {{0.08, 0.1}, {0.75, 4.0 / 3.0}, 10});
    logs.push_back(std::log(double(b.width) / b.height));
  }
  double mean = 0, var = 0;
  for (double l : logs) mean += l / n;
  for (double l : logs) var += (l - mean) * (l - mean) / n;
  CHECK(std::abs(mean) < 0.01);
  CHECK(var == Approx(std::pow(std::log(16.0 / 9.0), 2) / 12.0).epsilon(0.1));
  // An image too thin for any attempt: centre crop at the nearest ratio.
  const auto f = random_resized_crop_box(1000, 1, rng);
  CHECK(f.width == 1);
  CHECK(f.height == 1);  // round(1 / (3/4)) = 1
  CHECK(f.top == 499);
  const auto wide = random_resized_crop_box(10, 1000, rng, {{0.99, 1.0}, {0.75, 4.0 / 3.0}, 10});
  CHECK(wide.height == 10);
  CHECK(wide.width == 13);  // round(10 * 4/3)
}

TEST_CASE("RandomErasing: probability 0.25, area 2-33%, aspect 0.3-3.3, random fill", "[data][augment]") {
  int erased = 0;
  double fill_sum = 0, fill_sq = 0;
  int64_t fill_n = 0;
  const int n = 2000;
  for (int k = 0; k < n; ++k) {
    Rng rng({5, static_cast<uint64_t>(k)});
    cv::Mat img(224, 224, CV_8UC3, cv::Scalar(0, 0, 0));
    const auto box = random_erasing(img, rng);
    if (box.height == 0) {
      REQUIRE(cv::countNonZero(img.reshape(1)) == 0);
      continue;
    }
    ++erased;
    const double area = double(box.width) * box.height / (224.0 * 224.0);
    REQUIRE(area >= 0.02 * 0.9);
    REQUIRE(area <= 1.0 / 3.0 * 1.1);
    const double aspect = double(box.height) / box.width;
    REQUIRE(aspect >= 0.3 * 0.8);
    REQUIRE(aspect <= 1 / 0.3 * 1.25);
    // Outside the box nothing changed.
    cv::Mat outside = img.clone();
    outside(cv::Rect(box.left, box.top, box.width, box.height)).setTo(cv::Scalar(0, 0, 0));
    REQUIRE(cv::countNonZero(outside.reshape(1)) == 0);
    const cv::Mat patch = img(cv::Rect(box.left, box.top, box.width, box.height));
    for (int y = 0; y < patch.rows; ++y)
      for (int x = 0; x < patch.cols; ++x) {
        const double v = patch.at<cv::Vec3b>(y, x)[0];  // red: N(123.675, 58.395), clipped
        fill_sum += v;
        fill_sq += v * v;
        ++fill_n;
      }
  }
  CHECK(erased / double(n) == Approx(0.25).margin(0.03));
  const double mean = fill_sum / fill_n, std = std::sqrt(fill_sq / fill_n - mean * mean);
  CHECK(mean == Approx(123.675).margin(1.5));
  CHECK(std == Approx(56.0).margin(3.0));  // 58.4 before clipping to [0, 255]
}

TEST_CASE("Mixup and CutMix: mixed pixels and soft targets", "[data][augment][mixup]") {
  const int64_t classes = 10;
  const auto labels = torch::tensor({1, 4, 7, 2}, torch::kInt64);
  const auto base = torch::rand({4, 3, 16, 16});
  int cutmix = 0, mixup = 0;
  for (int k = 0; k < 400; ++k) {
    Rng rng({9, static_cast<uint64_t>(k)});
    auto images = base.clone();
    const auto r = mix_batch(images, labels, classes, rng);
    // Soft targets: lam on the own label, 1 - lam on the flipped partner's, smoothing 0.1.
    const auto y = smooth_one_hot(labels, classes, 0.1);
    REQUIRE(torch::allclose(r.targets, y * r.lam + y.flip(0) * (1 - r.lam), 0, 1e-6));
    REQUIRE(torch::allclose(r.targets.sum(1), torch::ones({4}), 0, 1e-5));
    if (r.cutmix) {
      ++cutmix;
      using torch::indexing::Slice;
      const auto region = images.index({Slice(), Slice(), Slice(r.box.top, r.box.top + r.box.height),
                                        Slice(r.box.left, r.box.left + r.box.width)});
      const auto from = base.flip(0).index({Slice(), Slice(), Slice(r.box.top, r.box.top + r.box.height),
                                            Slice(r.box.left, r.box.left + r.box.width)});
      REQUIRE(torch::equal(region, from));
      const int64_t changed = (images != base).any(1).sum().item<int64_t>();
      REQUIRE(changed <= 4 * int64_t(r.box.height) * r.box.width);
      REQUIRE(r.lam == Approx(1.0 - double(r.box.height) * r.box.width / 256.0));
    } else {
      ++mixup;
      REQUIRE(torch::allclose(images, base * r.lam + base.flip(0) * (1 - r.lam), 0, 1e-6));
    }
  }
  CHECK(cutmix / 400.0 == Approx(0.5).margin(0.08));
  CHECK(mixup + cutmix == 400);
  // Smoothing alone: on = 1 - 0.1 + 0.01, off = 0.01.
  const auto y = smooth_one_hot(labels, classes, 0.1);
  CHECK(y[0][1].item<float>() == Approx(0.91f));
  CHECK(y[0][0].item<float>() == Approx(0.01f));
}

// Decoding, Pillow resampling and the evaluation pipeline, bit for bit against
// OpenCV, Pillow and mmpretrain's test pipeline reproduced in Python
// (tests/reference/make_fixtures.py: make_image_cases).
#include "hornet/data/batch_transforms.h"
#include "hornet/data/decode.h"
#include "hornet/data/image_tensor.h"
#include "hornet/data/pipeline.h"
#include "hornet/data/resize.h"
#include "hornet/io/file_util.h"
#include "hornet/io/npy.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;
using namespace hornet::data;
using Catch::Matchers::Contains;

namespace {
std::string images() { return test::fixture_dir() + "/images/"; }

const std::vector<std::string> kPhotos = {
    "astronaut_511x383.jpg", "chelsea_451x300.jpg",  "coffee_600x400.jpg",        "motorcycle_301x497.jpg",
    "camera_gray_333x257.jpg", "chelsea_small_203x151.jpg", "chelsea_cmyk.jpg", "coffee_exif6.jpg",
    "coffee_exif3.jpg",      "coffee_exif8.jpg",     "coffee_png.JPEG",           "rocket_640x427.jpg",
    "hubble_1000x872.jpg"};

std::string stem(const std::string& name) { return name.substr(0, name.rfind('.')); }

int64_t differing(const torch::Tensor& a, const torch::Tensor& b) { return (a != b).sum().item<int64_t>(); }
}  // namespace

TEST_CASE("decode: equal to OpenCV's IMREAD_COLOR (gray, CMYK, EXIF, PNG named .JPEG)", "[data][decode]") {
  for (const auto& name : kPhotos) {
    INFO(name);
    const auto decoded = decode_image(io::read_file(images() + name));
    const auto expected = io::read_npy(images() + stem(name) + ".decoded.npy");
    const auto got = image_to_tensor(decoded.rgb);
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(differing(got, expected) == 0);
    CHECK_FALSE(decoded.had_warnings);
  }
  CHECK(sniff_format(io::read_file(images() + "coffee_png.JPEG")) == ImageFormat::kPng);
  const auto header = read_header(io::read_file(images() + "coffee_exif6.jpg"));
  CHECK(header.orientation == 6);
  CHECK(header.width == 265);  // the displayed size: 389x265 stored, rotated a quarter turn
  CHECK(header.height == 389);
}

TEST_CASE("decode: PNG of every colour type and depth equals OpenCV's, with libpng's warnings returned",
          "[data][decode]") {
  const std::string dir = images() + "png/";
  for (const std::string name : {"rgb8", "rgb16", "gray1", "gray8", "gray16", "palette_trns", "rgba", "gray_alpha",
                                 "bad_text_crc", "bad_iccp"}) {
    INFO(name);
    const auto decoded = decode_image(io::read_file(dir + name + ".png"));
    const auto expected = io::read_npy(dir + name + ".decoded.npy");
    const auto got = image_to_tensor(decoded.rgb);
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(differing(got, expected) == 0);
    const bool damaged = name.rfind("bad_", 0) == 0;
    CHECK(decoded.had_warnings == damaged);
    CHECK(decoded.warning.empty() == !damaged);
  }
  CHECK_THAT(decode_image(io::read_file(dir + "bad_text_crc.png")).warning, Contains("tEXt: CRC error"));
  CHECK_THAT(decode_image(io::read_file(dir + "bad_iccp.png")).warning, Contains("known incorrect sRGB profile"));
  // A PNG cut short is an error naming the format, not a crash or a partial image.
  const std::string whole = io::read_file(dir + "rgb8.png");
  CHECK_THROWS_WITH(decode_image(whole.substr(0, whole.size() / 2)), Contains("PNG: ") && Contains("truncated"));
  CHECK_THROWS_WITH(decode_image("GIF89a...."), Contains("GIF images are not supported"));
}

TEST_CASE("decode: DCT-domain reduction gives the ceil-divided size", "[data][decode]") {
  const std::string bytes = io::read_file(images() + "astronaut_511x383.jpg");
  for (int s : {1, 2, 4, 8}) {
    const auto d = decode_image(bytes, s);
    CHECK(d.rgb.cols == (511 + s - 1) / s);
    CHECK(d.rgb.rows == (383 + s - 1) / s);
  }
  CHECK(dct_scale_for_crop(500, 460, 224, 224) == 2);
  CHECK(dct_scale_for_crop(1000, 900, 224, 224) == 4);
  CHECK(dct_scale_for_crop(447, 900, 224, 224) == 1);
  CHECK(dct_scale_for_crop(1800, 1792, 224, 224) == 8);
}

TEST_CASE("Pillow resampling: bit-exact against PIL.Image.resize", "[data][resize]") {
  for (int i = 0; i < 8; ++i) {
    const auto input = tensor_to_image(io::read_npy(images() + "resize/" + std::to_string(i) + "_in.npy"));
    for (const auto& [tag, filter] : {std::pair{"bicubic", Interpolation::kBicubic},
                                      std::pair{"bilinear", Interpolation::kBilinear}}) {
      INFO("case " << i << " " << tag);
      const auto expected = io::read_npy(images() + "resize/" + std::to_string(i) + "_" + tag + ".npy");
      const int h = static_cast<int>(expected.size(0)), w = static_cast<int>(expected.size(1));
      auto got = image_to_tensor(pillow_resize(input, w, h, filter));
      if (expected.dim() == 2) got = got.squeeze(2);
      REQUIRE(got.sizes() == expected.sizes());
      CHECK(differing(got, expected) == 0);
    }
  }
  // A window of the output equals the same window of the full resize.
  const auto input = tensor_to_image(io::read_npy(images() + "resize/1_in.npy"));
  const cv::Mat full = pillow_resize(input, 341, 256);
  for (const cv::Rect r : {cv::Rect(58, 16, 224, 224), cv::Rect(0, 0, 341, 256), cv::Rect(300, 200, 41, 56)}) {
    CHECK(differing(image_to_tensor(pillow_resize_crop(input, 341, 256, r)), image_to_tensor(full(r).clone())) == 0);
  }
  REQUIRE_THROWS_WITH(pillow_resize_crop(input, 341, 256, cv::Rect(200, 0, 224, 224)), Contains("outside"));
  REQUIRE_THROWS_WITH(pillow_resize(cv::Mat(), 4, 4), Contains("non-empty"));
  REQUIRE_THROWS_WITH(pillow_resize(cv::Mat(4, 4, CV_8UC3), 0, 4), Contains("positive"));
}

TEST_CASE("eval pipeline: mmpretrain's ResizeEdge + CenterCrop, bit-exact, then normalised", "[data][pipeline]") {
  const auto transform = make_eval_transform();
  Rng rng;
  for (const auto& name : kPhotos) {
    INFO(name);
    const auto crop = transform->apply(io::read_file(images() + name), rng);
    const auto got = image_to_tensor(crop);
    const auto expected = io::read_npy(images() + stem(name) + ".crop.npy");
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(differing(got, expected) == 0);
    const auto normed = normalize(got.permute({2, 0, 1}).unsqueeze(0))[0];
    const auto expected_normed = io::read_npy(images() + stem(name) + ".normalized.npy");
    CHECK(test::max_abs_diff(normed, expected_normed) <= 1e-6);
  }
}

TEST_CASE("eval pipeline: ResizeEdge and CenterCrop arithmetic", "[data][pipeline]") {
  CHECK(resize_edge_size(451, 300, 256) == std::pair{384, 256});  // int(256 * 451 / 300) = 384
  CHECK(resize_edge_size(301, 497, 256) == std::pair{256, 422});  // int(422.68)
  CHECK(resize_edge_size(500, 500, 256) == std::pair{256, 256});
  // (293 - 224) / 2 = 34.5 rounds to 34 (half to even); (295 - 224) / 2 = 35.5 rounds to 36.
  cv::Mat img(293, 295, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(y % 256, x % 256, 0);
  const auto c = center_crop(img, 224, 224);
  CHECK(c.at<cv::Vec3b>(0, 0)[0] == 34);
  CHECK(c.at<cv::Vec3b>(0, 0)[1] == 36);
  REQUIRE_THROWS_WITH(center_crop(img, 300, 224), Contains("smaller than the crop"));
}

TEST_CASE("eval pipeline: the official 384 protocol, a square bicubic resize, bit-exact", "[data][pipeline]") {
  EvalPipelineOptions square;
  square.square_resize = true;
  square.crop = 384;
  const auto transform = make_eval_transform(square);
  Rng rng;
  for (const auto& name : kPhotos) {
    INFO(name);
    const auto got = image_to_tensor(transform->apply(io::read_file(images() + name), rng));
    const auto expected = io::read_npy(images() + stem(name) + ".square384.npy");
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(differing(got, expected) == 0);
  }
}

TEST_CASE("decode: broken files are clear errors, truncated JPEGs decode with a warning", "[data][decode][errors]") {
  const auto dir = images() + "broken/";
  CHECK_THROWS_WITH(decode_image(io::read_file(dir + "zero_bytes.jpg")), Contains("empty file"));
  CHECK_THROWS_WITH(decode_image(io::read_file(dir + "garbage.jpg")), Contains("unknown file signature"));
  CHECK_THROWS_AS(decode_image(io::read_file(dir + "truncated_header.jpg")), DecodeError);
  const auto half = decode_image(io::read_file(dir + "truncated_half.jpg"));
  CHECK(half.had_warnings);
  CHECK(half.rgb.cols == 451);
}

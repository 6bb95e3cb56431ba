// Evaluation and training sample pipelines.
#include "hornet/data/pipeline.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <stdexcept>

namespace hornet::data {

int dct_scale_for_crop(int crop_width, int crop_height, int out_width, int out_height) {
  for (int s : {8, 4, 2}) {
    if (crop_width / s >= out_width && crop_height / s >= out_height) return s;
  }
  return 1;
}

EvalPipelineOptions eval_options_for_size(int image_size) {
  if (image_size < 1) throw std::invalid_argument("eval pipeline: image size must be positive");
  EvalPipelineOptions o;
  o.crop = image_size;
  o.square_resize = image_size >= 384;
  o.resize = static_cast<int>(image_size / 0.875);
  return o;
}

namespace {

class EvalTransform : public SampleTransform {
 public:
  explicit EvalTransform(const EvalPipelineOptions& o) : o_(o) {
    if (o.crop < 1 || (!o.square_resize && o.resize < o.crop)) {
      throw std::invalid_argument("eval pipeline: need crop >= 1 and resize >= crop, got resize " +
                                  std::to_string(o.resize) + ", crop " + std::to_string(o.crop));
    }
  }
  int height() const override { return o_.crop; }
  int width() const override { return o_.crop; }
  cv::Mat apply(std::string_view bytes, Rng&, DecodeInfo* info) const override {
    auto decoded = decode_image(bytes);
    if (info) {
      info->had_warnings = decoded.had_warnings;
      info->warning = decoded.warning;
    }
    if (o_.square_resize) return pillow_resize(decoded.rgb, o_.crop, o_.crop, o_.interpolation);
    return resize_edge_center_crop(decoded.rgb, o_.resize, o_.crop, o_.crop, o_.interpolation);
  }

 private:
  EvalPipelineOptions o_;
};

class TrainTransform : public SampleTransform {
 public:
  explicit TrainTransform(const TrainPipelineOptions& o) : o_(o) {
    if (o.size < 1) throw std::invalid_argument("train pipeline: size must be positive");
  }
  int height() const override { return o_.size; }
  int width() const override { return o_.size; }
  cv::Mat apply(std::string_view bytes, Rng& rng, DecodeInfo* info) const override {
    const ImageHeader header = read_header(bytes);
    cv::Mat full;
    int width = header.width, height = header.height;
    bool had_warnings = false;
    std::string warning;
    if (header.format != ImageFormat::kJpeg) {
      auto decoded = decode_image(bytes);
      full = decoded.rgb;
      had_warnings = decoded.had_warnings;
      warning = decoded.warning;
      width = full.cols;
      height = full.rows;
    }
    const CropBox box = random_resized_crop_box(height, width, rng, o_.crop);
    int scale = 1;
    if (full.empty()) {
      scale = o_.dct_scaling ? dct_scale_for_crop(box.width, box.height, o_.size, o_.size) : 1;
      auto decoded = decode_image(bytes, scale);
      full = decoded.rgb;
      had_warnings = decoded.had_warnings;
    }
    if (info) {
      info->scale_denom = scale;
      info->had_warnings = had_warnings;
      info->warning = warning;
    }
    // The box in the reduced image: every source pixel the box covers.
    const int left = box.left / scale, top = box.top / scale;
    const int right = std::min(full.cols, (box.left + box.width + scale - 1) / scale);
    const int bottom = std::min(full.rows, (box.top + box.height + scale - 1) / scale);
    cv::Mat img = pillow_resize(full(cv::Rect(left, top, right - left, bottom - top)), o_.size, o_.size,
                                o_.interpolation);
    if (rng.bernoulli(o_.flip_probability)) cv::flip(img, img, 1);
    if (o_.use_rand_augment) img = rand_augment(img, rng, o_.rand_augment);
    // img owns its pixels (the resize made them), so erasing in place is safe.
    if (o_.use_random_erasing) random_erasing(img, rng, o_.random_erasing);
    return img;
  }

 private:
  TrainPipelineOptions o_;
};

}  // namespace

std::shared_ptr<SampleTransform> make_eval_transform(const EvalPipelineOptions& options) {
  return std::make_shared<EvalTransform>(options);
}

std::shared_ptr<SampleTransform> make_transform(const std::string& name, int size) {
  if (name == "eval") return make_eval_transform(eval_options_for_size(size));
  if (name != "train") throw std::invalid_argument("unknown pipeline '" + name + "'; valid: train, eval");
  TrainPipelineOptions o;
  o.size = size;
  return make_train_transform(o);
}

std::shared_ptr<SampleTransform> make_train_transform(const TrainPipelineOptions& options) {
  return std::make_shared<TrainTransform>(options);
}

}  // namespace hornet::data

// Per-sample pipelines: encoded bytes in, a fixed-size 8-bit RGB image out.
//
//   evaluation (mmpretrain test pipeline): decode, ResizeEdge(256, bicubic),
//     CenterCrop(224); or, as the official repository evaluates at >= 384, a
//     square resize to the crop size;
//   training (official recipe / timm): RandomResizedCrop(224, bicubic), flip,
//     RandAugment, RandomErasing.
// Normalisation and Mixup/CutMix act later, on whole batches (batch.h).
#pragma once

#include "hornet/data/decode.h"
#include "hornet/data/rand_augment.h"
#include "hornet/data/transforms.h"

#include <memory>
#include <string>
#include <string_view>

namespace hornet::data {

/// What happened while decoding one sample.
struct DecodeInfo {
  int scale_denom = 1;
  bool had_warnings = false;
  std::string warning;  ///< the decoder's warning, when it gave one
};

class SampleTransform {
 public:
  virtual ~SampleTransform() = default;
  virtual int height() const = 0;
  virtual int width() const = 0;
  /// Decodes `bytes` and transforms them into a height() x width() CV_8UC3 RGB
  /// image. Throws DecodeError for undecodable data.
  virtual cv::Mat apply(std::string_view bytes, Rng& rng, DecodeInfo* info = nullptr) const = 0;
};

struct EvalPipelineOptions {
  int resize = 256;  ///< short edge before the crop
  int crop = 224;
  /// Resize straight to crop x crop, no centre crop (the official protocol at >= 384).
  bool square_resize = false;
  Interpolation interpolation = Interpolation::kBicubic;
};

struct TrainPipelineOptions {
  int size = 224;
  RandomResizedCropOptions crop;
  Interpolation interpolation = Interpolation::kBicubic;
  double flip_probability = 0.5;
  bool use_rand_augment = true;
  RandAugmentOptions rand_augment;
  bool use_random_erasing = true;
  RandomErasingOptions random_erasing;
  /// Decode JPEGs reduced by 2, 4 or 8 in the DCT domain when the crop, so
  /// reduced, is still at least the output size in both dimensions: the crop is
  /// then only shrunk further by the resize, and the reduction changes the
  /// result only as another (box-like) interpolation would.
  bool dct_scaling = true;
};

/// Evaluation preprocessing for square inputs of `image_size`: below 384,
/// ResizeEdge to int(size / 0.875) (256 for 224) then CenterCrop; from 384 on,
/// the official repository's square resize without a crop.
EvalPipelineOptions eval_options_for_size(int image_size);

std::shared_ptr<SampleTransform> make_eval_transform(const EvalPipelineOptions& options = {});
std::shared_ptr<SampleTransform> make_train_transform(const TrainPipelineOptions& options = {});

/// The recipe's default pipeline by name at a square `size`: "train" (the
/// augmentation) or "eval" (what validation and prediction at that size use).
std::shared_ptr<SampleTransform> make_transform(const std::string& name, int size);

/// The largest reduction s in {1, 2, 4, 8} with crop / s >= out in both
/// dimensions (the rule of TrainPipelineOptions::dct_scaling).
int dct_scale_for_crop(int crop_width, int crop_height, int out_width, int out_height);

}  // namespace hornet::data

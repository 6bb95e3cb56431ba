// Normalisation and Mixup/CutMix (timm mixup.py semantics, batch mode).
#include "hornet/data/batch_transforms.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hornet::data {

Normalizer::Normalizer(const torch::Device& device, bool channels_last, const Normalization& norm)
    : channels_last_(channels_last) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  mean_ = torch::tensor({norm.mean[0], norm.mean[1], norm.mean[2]}, opts).view({1, 3, 1, 1});
  std_ = torch::tensor({norm.std[0], norm.std[1], norm.std[2]}, opts).view({1, 3, 1, 1});
}

torch::Tensor Normalizer::operator()(const torch::Tensor& images) const {
  if (images.dim() != 4 || images.size(1) != 3) {
    throw std::invalid_argument("normalize: expected [N, 3, H, W] images");
  }
  if (images.device() != mean_.device()) {
    throw std::invalid_argument("normalize: images on " + images.device().str() + ", normaliser on " +
                                mean_.device().str());
  }
  // Element-wise ops keep their input's memory format: convert the small uint8 tensor.
  const auto in = channels_last_ ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images;
  return (in.to(torch::kFloat32) - mean_) / std_;
}

torch::Tensor normalize(const torch::Tensor& images, const Normalization& norm) {
  return Normalizer(images.device(), false, norm)(images);
}

torch::Tensor smooth_one_hot(const torch::Tensor& labels, int64_t num_classes, double smoothing) {
  const double off = smoothing / num_classes;
  const double on = 1.0 - smoothing + off;
  auto out = torch::full({labels.size(0), num_classes}, off,
                         torch::TensorOptions().dtype(torch::kFloat32).device(labels.device()));
  out.scatter_(1, labels.to(torch::kInt64).view({-1, 1}), on);
  return out;
}

MixResult mix_batch(torch::Tensor& images, const torch::Tensor& labels, int64_t num_classes, Rng& rng,
                    const MixupOptions& o) {
  MixResult r;
  const bool mixup_on = o.mixup_alpha > 0.0, cutmix_on = o.cutmix_alpha > 0.0;
  if ((mixup_on || cutmix_on) && rng.uniform() < o.probability) {
    if (mixup_on && cutmix_on) {
      r.cutmix = rng.uniform() < o.switch_probability;
    } else {
      r.cutmix = cutmix_on;
    }
    r.lam = r.cutmix ? rng.beta(o.cutmix_alpha, o.cutmix_alpha) : rng.beta(o.mixup_alpha, o.mixup_alpha);
  }
  torch::NoGradGuard no_grad;
  if (r.lam < 1.0) {
    const auto flipped = images.flip(0);
    if (r.cutmix) {
      // timm's rand_bbox: a box of side sqrt(1 - lam) around a uniform centre, clipped.
      const int64_t h = images.size(2), w = images.size(3);
      const double ratio = std::sqrt(1.0 - r.lam);
      const int64_t cut_h = static_cast<int64_t>(h * ratio), cut_w = static_cast<int64_t>(w * ratio);
      const int64_t cy = rng.randint(0, h - 1), cx = rng.randint(0, w - 1);
      const int64_t yl = std::clamp<int64_t>(cy - cut_h / 2, 0, h), yh = std::clamp<int64_t>(cy + cut_h / 2, 0, h);
      const int64_t xl = std::clamp<int64_t>(cx - cut_w / 2, 0, w), xh = std::clamp<int64_t>(cx + cut_w / 2, 0, w);
      using torch::indexing::Slice;
      images.index_put_({Slice(), Slice(), Slice(yl, yh), Slice(xl, xh)},
                        flipped.index({Slice(), Slice(), Slice(yl, yh), Slice(xl, xh)}).clone());
      if (o.correct_lam) r.lam = 1.0 - static_cast<double>((yh - yl) * (xh - xl)) / static_cast<double>(h * w);
      r.box = {static_cast<int>(yl), static_cast<int>(xl), static_cast<int>(yh - yl), static_cast<int>(xh - xl)};
    } else {
      images.mul_(r.lam).add_(flipped.mul(1.0 - r.lam));
    }
  }
  const auto y1 = smooth_one_hot(labels, num_classes, o.label_smoothing);
  r.targets = y1 * r.lam + y1.flip(0) * (1.0 - r.lam);
  return r;
}

}  // namespace hornet::data

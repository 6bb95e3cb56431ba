// GlobalLocalFilter (docs/model.md §7; pitfalls §11.1-§11.4, §11.10).
#include "hornet/models/global_local_filter.h"

#include "hornet/models/init.h"
#include "hornet/models/summary.h"
#include "hornet/ops/autocast.h"
#include "hornet/ops/kernels/fused_ops.h"

#include <torch/fft.h>
#include <torch/nn/functional/upsampling.h>

#include <stdexcept>

namespace hornet::models {

GlobalLocalFilterImpl::GlobalLocalFilterImpl(GlobalLocalFilterOptions options_)
    : options(std::move(options_)) {
  reset();
}

void GlobalLocalFilterImpl::reset() {
  const int64_t dim = options.dim();
  if (dim <= 0 || dim % 2 != 0) {
    throw std::invalid_argument(
        "GlobalLocalFilter: dim must be positive and even (split into local and global halves), got " +
        std::to_string(dim));
  }
  if (options.h() < 1 || options.w() < 1) {
    throw std::invalid_argument("GlobalLocalFilter: filter size (h, w) must be positive, got (" +
                                std::to_string(options.h()) + ", " + std::to_string(options.w()) + ")");
  }
  const int64_t half = dim / 2;
  dw = register_module(
      "dw", Conv2d(Conv2dOptions(half, half, 3).padding(1).groups(half).bias(false)));
  complex_weight = register_parameter(
      "complex_weight", torch::empty({half, options.h(), options.w(), 2}, torch::kFloat32));
  pre_norm = register_module(
      "pre_norm", HorNetLayerNorm(HorNetLayerNormOptions(dim).data_format(DataFormat::kChannelsFirst)));
  post_norm = register_module(
      "post_norm", HorNetLayerNorm(HorNetLayerNormOptions(dim).data_format(DataFormat::kChannelsFirst)));
  reset_parameters();
}

void GlobalLocalFilterImpl::reset_parameters() {
  trunc_normal_(complex_weight, 0.0, 0.02);
}

void GlobalLocalFilterImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::GlobalLocalFilter(" << options.dim() << ", h=" << options.h()
         << ", w=" << options.w() << ")";
}

torch::Tensor resize_complex_weight(const torch::Tensor& weight, int64_t height, int64_t width) {
  if (weight.dim() != 4 || weight.size(3) != 2) {
    std::ostringstream os;
    os << "complex weight: expected shape [C, h, w, 2], got " << weight.sizes();
    throw std::invalid_argument(os.str());
  }
  if (weight.size(1) == height && weight.size(2) == width) return weight;
  namespace F = torch::nn::functional;
  // Real and imaginary planes become the batch axis: [2, C, h, w].
  const auto planes = weight.permute({3, 0, 1, 2});
  const auto resized = F::interpolate(planes, F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{height, width})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(true));
  return resized.permute({1, 2, 3, 0});
}

torch::Tensor global_filter(const torch::Tensor& x, const torch::Tensor& complex_weight) {
  ops::AutocastDisabledGuard no_autocast;
  const auto xf = x.to(torch::kFloat32);
  const int64_t height = xf.size(2);
  const int64_t width = xf.size(3);
  auto spectrum = torch::fft::rfft2(xf, c10::nullopt, {2, 3}, "ortho");
  const auto weight = resize_complex_weight(complex_weight, spectrum.size(2), spectrum.size(3));
  if (ops::kernels::use_fused(xf)) {
    spectrum = torch::view_as_complex(ops::kernels::fused_spectrum_weight(torch::view_as_real(spectrum), weight));
  } else {
    spectrum = spectrum * torch::view_as_complex(weight.contiguous());
  }
  // The explicit output size recovers odd widths, which rfft2 folds away.
  return torch::fft::irfft2(spectrum, std::vector<int64_t>{height, width}, {2, 3}, "ortho");
}

torch::Tensor GlobalLocalFilterImpl::forward(const torch::Tensor& x) {
  check_input(x, "GlobalLocalFilter", 4, 1, options.dim());
  const auto normed = pre_norm(x);
  const auto halves = normed.chunk(2, 1);
  const auto local = dw(halves[0]);
  const auto global = global_filter(halves[1], complex_weight);
  if (ops::kernels::use_fused(x)) {
    // The interleave is read straight into the post-norm.
    return ops::kernels::fused_interleaved_norm(local, global, post_norm->weight, post_norm->bias,
                                                post_norm->options.eps());
  }
  const int64_t n = x.size(0), c = options.dim() / 2, h = x.size(2), w = x.size(3);
  // Interleave, do not concatenate: channel 2k local, 2k+1 global.
  const auto mixed = torch::cat({local.unsqueeze(2), global.unsqueeze(2)}, 2).reshape({n, 2 * c, h, w});
  return post_norm(mixed);
}

int64_t GlobalLocalFilterImpl::flops(int64_t height, int64_t width, FlopConvention convention) const {
  int64_t total = conv2d_macs(*dw, height, width);
  if (convention == FlopConvention::kOfficial) {
    const int64_t channels = options.dim() / 2, spectrum_width = width / 2 + 1;
    total += fft_flops(channels, height, width) + fft_flops(channels, height, spectrum_width);
    // The filter is resized (bilinear, real and imaginary planes) when the grid differs.
    if (options.h() != height || options.w() != spectrum_width)
      total += 4 * 2 * channels * height * spectrum_width;
  }
  return total;
}

}  // namespace hornet::models

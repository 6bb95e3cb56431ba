// gnConv (docs/model.md §6; ordering pitfalls §11.5).
#include "hornet/models/gnconv.h"

#include "hornet/models/summary.h"
#include "hornet/ops/kernels/fused_ops.h"

#include <numeric>

namespace hornet::models {

GnConvImpl::GnConvImpl(GnConvOptions options_) : options(std::move(options_)) { reset(); }

void GnConvImpl::reset() {
  const int64_t dim = options.dim();
  dims_ = gnconv_dims(dim, options.order());
  const int64_t mixed = std::accumulate(dims_.begin(), dims_.end(), int64_t{0});
  const auto& mixer = options.mixer();

  proj_in = register_module("proj_in", Conv2d(Conv2dOptions(dim, 2 * dim, 1)));
  if (mixer.kind == MixerKind::kDepthwise) {
    if (mixer.kernel_size < 1 || mixer.kernel_size % 2 == 0) {
      throw std::invalid_argument("gnConv: depthwise kernel size must be odd and positive, got " +
                                  std::to_string(mixer.kernel_size));
    }
    dwconv = register_module(
        "dwconv", Conv2d(Conv2dOptions(mixed, mixed, mixer.kernel_size)
                             .padding((mixer.kernel_size - 1) / 2)
                             .groups(mixed)
                             .bias(true)));
  } else {
    gf = register_module("dwconv", GlobalLocalFilter(GlobalLocalFilterOptions(mixed, mixer.h, mixer.w)));
  }
  proj_out = register_module("proj_out", Conv2d(Conv2dOptions(dim, dim, 1)));
  projs = register_module("projs", torch::nn::ModuleList());
  for (size_t i = 0; i + 1 < dims_.size(); ++i) {
    projs->push_back(Conv2d(Conv2dOptions(dims_[i], dims_[i + 1], 1)));
  }
}

void GnConvImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::GnConv(" << options.dim() << ", order=" << options.order()
         << ", mixer=" << options.mixer().str() << ", scale=" << options.scale() << ")";
}

torch::Tensor GnConvImpl::forward(const torch::Tensor& x) {
  check_input(x, "gnConv", 4, 1, options.dim());
  const int64_t mixed = 2 * options.dim() - dims_[0];
  const auto fused = proj_in(x);
  const auto parts = fused.split_with_sizes({dims_[0], mixed}, 1);
  if (ops::kernels::use_fused(x)) {
    // Scale, split, and each gate's product in the fused op; the projections stay matrix products.
    std::vector<torch::Tensor> weights, biases;
    for (size_t i = 0; i < projs->size(); ++i) {
      weights.push_back(projs->at<Conv2dImpl>(i).weight);
      biases.push_back(projs->at<Conv2dImpl>(i).bias);
    }
    const auto mixed = gf ? gf(parts[1]) : dwconv(parts[1]);
    return proj_out(ops::kernels::fused_gnconv_gating(parts[0], mixed, weights, biases, dims_, options.scale()));
  }
  const auto mixed_out = (gf ? gf(parts[1]) : dwconv(parts[1])) * options.scale();
  const auto gates = mixed_out.split_with_sizes(dims_, 1);
  auto y = parts[0] * gates[0];
  // Typed access goes through the container: clone() replaces its children.
  for (size_t i = 0; i < projs->size(); ++i) {
    y = projs->at<Conv2dImpl>(i).forward(y) * gates[i + 1];
  }
  return proj_out(y);
}

int64_t GnConvImpl::flops(int64_t height, int64_t width, FlopConvention convention) const {
  int64_t total = conv2d_macs(*proj_in, height, width) + conv2d_macs(*proj_out, height, width);
  total += gf ? gf->flops(height, width, convention) : conv2d_macs(*dwconv, height, width);
  for (size_t i = 0; i < projs->size(); ++i) {
    total += conv2d_macs(projs->at<Conv2dImpl>(i), height, width);
  }
  return total;
}

}  // namespace hornet::models

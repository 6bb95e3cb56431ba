// HorNet block (docs/model.md §5; layout pitfall §11.11).
#include "hornet/models/block.h"

#include "hornet/models/summary.h"

namespace hornet::models {

HorNetBlockImpl::HorNetBlockImpl(HorNetBlockOptions options_) : options(std::move(options_)) {
  reset();
}

void HorNetBlockImpl::reset() {
  const int64_t dim = options.dim();
  norm1 = register_module(
      "norm1", HorNetLayerNorm(HorNetLayerNormOptions(dim).data_format(DataFormat::kChannelsFirst)));
  gnconv = register_module("gnconv", GnConv(GnConvOptions(dim, options.order())
                                                .mixer(options.mixer())
                                                .scale(options.scale())));
  norm2 = register_module("norm2", HorNetLayerNorm(HorNetLayerNormOptions(dim)));
  pwconv1 = register_module("pwconv1", Linear(dim, 4 * dim));
  pwconv2 = register_module("pwconv2", Linear(4 * dim, dim));
  if (options.layer_scale_init_value() > 0) {
    gamma1 = register_module("gamma1", LayerScale(LayerScaleOptions(dim)
                                                      .init_value(options.layer_scale_init_value())
                                                      .data_format(DataFormat::kChannelsFirst)));
    gamma2 = register_module(
        "gamma2", LayerScale(LayerScaleOptions(dim).init_value(options.layer_scale_init_value())));
  } else {
    gamma1 = nullptr;
    gamma2 = nullptr;
  }
  drop_path = register_module("drop_path", DropPath(options.drop_path()));
}

void HorNetBlockImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::HorNetBlock(" << options.dim() << ", order=" << options.order()
         << ", mixer=" << options.mixer().str() << ", drop_path=" << options.drop_path() << ")";
}

torch::Tensor HorNetBlockImpl::forward(const torch::Tensor& x) {
  auto branch = gnconv(norm1(x));
  if (gamma1) branch = gamma1(branch);
  const auto mid = x + drop_path(branch);

  auto mlp = norm2(mid.permute({0, 2, 3, 1}));
  mlp = pwconv2(torch::gelu(pwconv1(mlp)));  // exact (erf) GELU
  if (gamma2) mlp = gamma2(mlp);
  return mid + drop_path(mlp.permute({0, 3, 1, 2}));
}

int64_t HorNetBlockImpl::flops(int64_t height, int64_t width, FlopConvention convention) const {
  const int64_t tokens = height * width;
  int64_t total = gnconv->flops(height, width, convention) + linear_macs(*pwconv1, tokens) +
                  linear_macs(*pwconv2, tokens);
  // norm2 is the one channels-last LayerNorm (F.layer_norm in the official code).
  if (convention == FlopConvention::kOfficial) total += layer_norm_flops(tokens * options.dim());
  return total;
}

}  // namespace hornet::models

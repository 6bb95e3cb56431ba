#include "hornet/models/primitives.h"

#include "hornet/models/init.h"
#include "hornet/ops/depthwise_conv.h"
#include "hornet/ops/linear.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace hornet::models {

namespace {

// torch.nn's default for both layer kinds, drawn in the same order (weight,
// then bias) so a seed gives the same values as LibTorch's modules.
void default_init(torch::Tensor& weight, torch::Tensor& bias) {
  if (init_skipped()) return;
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::get<0>(fans)));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

}  // namespace

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(options_) { reset(); }

void Conv2dImpl::reset() {
  const auto& o = options;
  if (o.in_channels() <= 0 || o.out_channels() <= 0 || o.kernel_size() <= 0 || o.stride() <= 0 ||
      o.padding() < 0 || o.groups() <= 0 || o.in_channels() % o.groups() != 0 ||
      o.out_channels() % o.groups() != 0) {
    throw std::invalid_argument("Conv2d: invalid options (in " + std::to_string(o.in_channels()) + ", out " +
                                std::to_string(o.out_channels()) + ", kernel " + std::to_string(o.kernel_size()) +
                                ", stride " + std::to_string(o.stride()) + ", padding " +
                                std::to_string(o.padding()) + ", groups " + std::to_string(o.groups()) + ")");
  }
  weight = register_parameter(
      "weight", torch::empty({o.out_channels(), o.in_channels() / o.groups(), o.kernel_size(), o.kernel_size()}));
  if (o.bias()) {
    bias = register_parameter("bias", torch::empty({o.out_channels()}));
  } else {
    bias = torch::Tensor();
  }
  reset_parameters();
}

void Conv2dImpl::reset_parameters() { default_init(weight, bias); }

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::Conv2d(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride()
         << ", padding=" << options.padding() << ", groups=" << options.groups()
         << ", bias=" << (options.bias() ? "true" : "false") << ")";
}

int64_t Conv2dImpl::output_size(int64_t size) const {
  return (size + 2 * options.padding() - options.kernel_size()) / options.stride() + 1;
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  const auto& o = options;
  const bool depthwise = o.groups() == o.in_channels() && o.out_channels() == o.in_channels() &&
                         o.stride() == 1 && o.kernel_size() % 2 == 1 && o.padding() == o.kernel_size() / 2;
  if (depthwise && x.dim() == 4 && x.size(1) == o.in_channels()) return ops::depthwise_conv2d(x, weight, bias);
  return torch::conv2d(x, weight, bias, o.stride(), o.padding(), /*dilation=*/1, o.groups());
}

LinearImpl::LinearImpl(int64_t in_features_, int64_t out_features_)
    : in_features(in_features_), out_features(out_features_) {
  reset();
}

void LinearImpl::reset() {
  if (in_features <= 0 || out_features <= 0) {
    throw std::invalid_argument("Linear: sizes must be positive, got " + std::to_string(in_features) + " -> " +
                                std::to_string(out_features));
  }
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  bias = register_parameter("bias", torch::empty({out_features}));
  reset_parameters();
}

void LinearImpl::reset_parameters() { default_init(weight, bias); }

void LinearImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::Linear(in_features=" << in_features << ", out_features=" << out_features << ")";
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) { return ops::linear(x, weight, bias); }

}  // namespace hornet::models

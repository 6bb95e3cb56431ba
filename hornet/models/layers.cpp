// HorNetLayerNorm, LayerScale and DropPath (docs/model.md §3-§5).
#include "hornet/models/layers.h"

#include "hornet/ops/channel_layer_norm.h"
#include "hornet/ops/kernels/fused_ops.h"

#include <sstream>
#include <stdexcept>

namespace hornet::models {

void check_input(const torch::Tensor& x, const std::string& who, int64_t rank,
                 int64_t channel_axis, int64_t channels) {
  if (!x.defined()) throw std::invalid_argument(who + ": input tensor is undefined");
  const auto axis = channel_axis < 0 ? channel_axis + rank : channel_axis;
  if (x.dim() != rank || x.size(axis) != channels) {
    std::ostringstream os;
    os << who << ": expected a " << rank << "-D input with " << channels
       << " channels on axis " << channel_axis << ", got shape " << x.sizes();
    throw std::invalid_argument(os.str());
  }
}

namespace {
const char* format_name(DataFormat f) {
  return f == DataFormat::kChannelsFirst ? "channels_first" : "channels_last";
}
void check_channels(const char* who, int64_t channels) {
  if (channels <= 0) {
    throw std::invalid_argument(std::string(who) + ": num_channels must be positive, got " +
                                std::to_string(channels));
  }
}
}  // namespace

// ----- HorNetLayerNorm ------------------------------------------------------

HorNetLayerNormImpl::HorNetLayerNormImpl(HorNetLayerNormOptions options_)
    : options(std::move(options_)) {
  reset();
}

void HorNetLayerNormImpl::reset() {
  check_channels("HorNetLayerNorm", options.num_channels());
  if (!(options.eps() > 0)) {
    throw std::invalid_argument("HorNetLayerNorm: eps must be positive, got " +
                                std::to_string(options.eps()));
  }
  weight = register_parameter("weight", torch::empty({options.num_channels()}));
  bias = register_parameter("bias", torch::empty({options.num_channels()}));
  reset_parameters();
}

void HorNetLayerNormImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

void HorNetLayerNormImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::HorNetLayerNorm(" << options.num_channels() << ", eps=" << options.eps()
         << ", data_format=" << format_name(options.data_format()) << ")";
}

torch::Tensor HorNetLayerNormImpl::forward(const torch::Tensor& x) {
  const int64_t c = options.num_channels();
  if (options.data_format() == DataFormat::kChannelsLast) {
    if (!x.defined() || x.dim() < 1 || x.size(-1) != c) {
      std::ostringstream os;
      os << "HorNetLayerNorm(channels_last): expected an input whose last axis has " << c
         << " channels, got shape " << (x.defined() ? x.sizes() : c10::IntArrayRef{});
      throw std::invalid_argument(os.str());
    }
    return torch::layer_norm(x, {c}, weight, bias, options.eps());
  }
  check_input(x, "HorNetLayerNorm(channels_first)", 4, 1, c);
  if (ops::kernels::use_fused(x)) return ops::kernels::fused_layer_norm_channels_first(x, weight, bias, options.eps());
  return ops::layer_norm_channels_first(x, weight, bias, options.eps());
}

// ----- LayerScale -----------------------------------------------------------

LayerScaleImpl::LayerScaleImpl(LayerScaleOptions options_) : options(std::move(options_)) {
  reset();
}

void LayerScaleImpl::reset() {
  check_channels("LayerScale", options.num_channels());
  weight = register_parameter("weight", torch::empty({options.num_channels()}));
  reset_parameters();
}

void LayerScaleImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.fill_(options.init_value());
}

void LayerScaleImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::LayerScale(" << options.num_channels() << ", init_value=" << options.init_value()
         << ", data_format=" << format_name(options.data_format()) << ")";
}

torch::Tensor LayerScaleImpl::forward(const torch::Tensor& x) {
  if (options.data_format() == DataFormat::kChannelsFirst) {
    check_input(x, "LayerScale(channels_first)", 4, 1, options.num_channels());
    return x * weight.view({-1, 1, 1});
  }
  if (!x.defined() || x.dim() < 1 || x.size(-1) != options.num_channels()) {
    throw std::invalid_argument("LayerScale(channels_last): expected an input whose last axis has " +
                                std::to_string(options.num_channels()) + " channels");
  }
  return x * weight;
}

// ----- DropPath -------------------------------------------------------------

DropPathImpl::DropPathImpl(DropPathOptions options_) : options(options_) { reset(); }

void DropPathImpl::reset() {
  if (!(options.p() >= 0.0 && options.p() <= 1.0)) {
    throw std::invalid_argument("DropPath: p must be in [0, 1], got " + std::to_string(options.p()));
  }
}

void DropPathImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::DropPath(p=" << options.p() << ")";
}

torch::Tensor DropPathImpl::forward(const torch::Tensor& x) {
  if (!is_training() || options.p() == 0.0) return x;
  const double keep = 1.0 - options.p();
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  // The mask is drawn by the CPU generator whatever the device, so that one
  // saved generator state makes a resumed run repeat the same masks.
  auto mask = torch::empty(shape, x.options().device(torch::kCPU)).bernoulli_(keep);
  // p == 1 drops every branch; there is nothing to rescale.
  if (keep > 0.0) mask.div_(keep);
  // From pinned memory the upload is queued on the stream rather than waited for.
  if (x.is_cuda()) return x * mask.pin_memory().to(x.device(), /*non_blocking=*/true);
  return x * mask;
}

}  // namespace hornet::models

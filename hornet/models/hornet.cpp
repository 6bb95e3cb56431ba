// HorNet backbone (docs/model.md §3, §8; mmpretrain's module layout).
#include "hornet/models/hornet.h"

#include "hornet/models/init.h"
#include "hornet/models/primitives.h"
#include "hornet/models/summary.h"
#include "hornet/ops/recompute.h"

#include <algorithm>
#include <sstream>

namespace hornet::models {

HorNetImpl::HorNetImpl(HorNetOptions options_) : options(std::move(options_)) { reset(); }

void HorNetImpl::reset() {
  const auto& arch = options.arch();
  validate(arch);
  if (options.in_channels() < 1) {
    throw std::invalid_argument("HorNet: in_channels must be positive, got " +
                                std::to_string(options.in_channels()));
  }
  if (!(options.drop_path_rate() >= 0.0 && options.drop_path_rate() < 1.0)) {
    throw std::invalid_argument("HorNet: drop_path_rate must be in [0, 1), got " +
                                std::to_string(options.drop_path_rate()));
  }
  out_indices_.clear();
  for (int64_t index : options.out_indices()) {
    const int64_t i = index < 0 ? index + kNumStages : index;
    if (i < 0 || i >= kNumStages) {
      throw std::invalid_argument("HorNet: out_indices entry " + std::to_string(index) +
                                  " is not a stage index in [-4, 3]");
    }
    if (std::find(out_indices_.begin(), out_indices_.end(), i) != out_indices_.end()) {
      throw std::invalid_argument("HorNet: out_indices lists stage " + std::to_string(i) + " twice");
    }
    out_indices_.push_back(i);
  }
  if (out_indices_.empty()) throw std::invalid_argument("HorNet: out_indices is empty");
  if (options.frozen_stages() < -1 || options.frozen_stages() >= kNumStages) {
    throw std::invalid_argument("HorNet: frozen_stages must be -1 (none) or a stage index in [0, 3], got " +
                                std::to_string(options.frozen_stages()));
  }
  std::sort(out_indices_.begin(), out_indices_.end());

  dims_ = arch.stage_dims();
  const auto channels_first = [](int64_t c) {
    return HorNetLayerNorm(HorNetLayerNormOptions(c).data_format(DataFormat::kChannelsFirst));
  };
  namespace nn = torch::nn;
  downsample_layers = register_module("downsample_layers", nn::ModuleList());
  downsample_layers->push_back(
      nn::Sequential(Conv2d(Conv2dOptions(options.in_channels(), dims_[0], 4).stride(4)),
                     channels_first(dims_[0])));
  for (int64_t i = 1; i < kNumStages; ++i) {
    downsample_layers->push_back(nn::Sequential(
        channels_first(dims_[i - 1]), Conv2d(Conv2dOptions(dims_[i - 1], dims_[i], 2).stride(2))));
  }

  // Drop-path rates come from a float32 linspace, as in both references.
  const auto rates = torch::linspace(0.0, options.drop_path_rate(), arch.num_blocks());
  int64_t block_index = 0;
  stages = register_module("stages", nn::ModuleList());
  for (int64_t i = 0; i < kNumStages; ++i) {
    nn::Sequential stage;
    for (int64_t j = 0; j < arch.depths[i]; ++j, ++block_index) {
      stage->push_back(HorNetBlock(HorNetBlockOptions(dims_[i], arch.orders[i])
                                       .mixer(arch.mixers[i])
                                       .scale(options.scale())
                                       .drop_path(rates[block_index].item<double>())
                                       .layer_scale_init_value(options.layer_scale_init_value())));
    }
    stages->push_back(stage);
  }

  norms.assign(kNumStages, HorNetLayerNorm{nullptr});
  for (int64_t i : out_indices_) {
    norms[i] = register_module("norm" + std::to_string(i), channels_first(dims_[i]));
  }
  reset_parameters();
  for (int64_t i = 0; i <= options.frozen_stages(); ++i) {
    for (auto& p : downsample_layers[i]->parameters()) p.set_requires_grad(false);
    for (auto& p : stages[i]->parameters()) p.set_requires_grad(false);
    if (norms[i]) {
      for (auto& p : norms[i]->parameters()) p.set_requires_grad(false);
    }
  }
  train(is_training());
}

void HorNetImpl::train(bool on) {
  torch::nn::Module::train(on);
  for (int64_t i = 0; i <= options.frozen_stages(); ++i) {
    downsample_layers[i]->eval();
    stages[i]->eval();
    if (norms[i]) norms[i]->eval();
  }
}

void HorNetImpl::reset_parameters() {
  if (options.init() == InitScheme::kOfficial) {
    init_conv_linear_trunc_normal(*this, 0.02);
  } else {
    init_linear_trunc_normal(*this, 0.02);
  }
}

void HorNetImpl::pretty_print(std::ostream& stream) const {
  const auto& arch = options.arch();
  stream << "hornet::HorNet(arch=" << arch.name << ", base_dim=" << arch.base_dim
         << ", mixers=" << arch.mixers_str() << ", drop_path_rate=" << options.drop_path_rate()
         << (options.frozen_stages() >= 0 ? ", frozen_stages=" + std::to_string(options.frozen_stages()) : "")
         << ")";
}

std::vector<torch::Tensor> HorNetImpl::forward(const torch::Tensor& x) {
  if (!x.defined() || x.dim() != 4 || x.size(1) != options.in_channels()) {
    std::ostringstream os;
    os << "HorNet: expected input of shape [N, " << options.in_channels() << ", H, W], got "
       << (x.defined() ? x.sizes() : c10::IntArrayRef{});
    throw std::invalid_argument(os.str());
  }
  if (x.size(2) < 32 || x.size(3) < 32) {
    std::ostringstream os;
    os << "HorNet: input height and width must be at least 32 (the network downsamples by 32), got "
       << x.size(2) << "x" << x.size(3);
    throw std::invalid_argument(os.str());
  }
  if (!at::isFloatingType(x.scalar_type())) {
    throw std::invalid_argument(std::string("HorNet: expected a floating-point input, got ") +
                                c10::toString(x.scalar_type()));
  }
  std::vector<torch::Tensor> outs;
  auto y = x;
  for (int64_t i = 0; i < kNumStages; ++i) {
    y = downsample_layers->at<torch::nn::SequentialImpl>(i).forward(y);
    auto& stage = stages->at<torch::nn::SequentialImpl>(i);
    if (grad_checkpointing_ && is_training()) {
      for (size_t b = 0; b < stage.size(); ++b) {
        auto block = stage.ptr<HorNetBlockImpl>(b);
        y = ops::recompute_in_backward([block](const torch::Tensor& t) { return block->forward(t); }, y);
      }
    } else {
      y = stage.forward(y);
    }
    if (!norms[i]) continue;
    if (options.gap_before_final_norm()) {
      outs.push_back(norms[i](y.mean({-2, -1}, /*keepdim=*/true)).flatten(1));
    } else {
      outs.push_back(norms[i](y).contiguous());
    }
  }
  return outs;
}

}  // namespace hornet::models

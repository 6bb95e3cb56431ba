#include "hornet/engine/train_step.h"

#include "hornet/common/allocator.h"
#include "hornet/engine/loss.h"
#include "hornet/ops/autocast.h"

#include <torch/nn/utils/clip_grad.h>

#include <cmath>
#include <optional>

namespace hornet::engine {

AmpMode parse_amp(const std::string& text) {
  if (text == "off") return AmpMode::kOff;
  if (text == "bf16") return AmpMode::kBf16;
  if (text == "fp16") return AmpMode::kFp16;
  throw std::invalid_argument("amp must be off, bf16 or fp16, got '" + text + "'");
}

TrainStep::TrainStep(models::ImageClassifier model, const config::ExperimentConfig& config, int64_t steps_per_epoch,
                     int64_t global_batch, AmpMode amp)
    : model_(std::move(model)),
      config_(config),
      optimizer_(make_optimizer(*model_, config.optim)),
      schedule_(config.schedule, scaled_lr(config.optim, global_batch), steps_per_epoch),
      scaler_(GradScalerOptions{}, amp == AmpMode::kFp16),
      amp_(amp) {
  if (config.ema.enabled) ema_ = std::make_unique<ModelEma>(model_, config.ema.decay);
  state_.seed = config.runtime.seed;
  const torch::Tensor first = model_->parameters().front();
  if (amp == AmpMode::kFp16 && !first.is_cuda()) {
    throw std::invalid_argument("fp16 autocast needs a CUDA device; use bf16 on the CPU");
  }
  common::keep_freed_memory();
}

void TrainStep::start_epoch() {
  if (micro_ != 0) optimizer_.adamw->zero_grad();
  micro_ = 0;
}

StepResult TrainStep::run(const torch::Tensor& images, const torch::Tensor& targets) {
  const int64_t accumulation = config_.optim.accumulation;
  StepResult r;
  if (micro_ == 0) {
    r.lr = schedule_.at(state_.step);
    optimizer_.set_lr(r.lr);
    step_bad_ = false;
  } else {
    r.lr = schedule_.at(state_.step);
  }
  model_->train();
  torch::Tensor loss;
  {
    std::optional<ops::AutocastGuard> autocast;
    if (amp_ != AmpMode::kOff) {
      autocast.emplace(images.device().type(), amp_ == AmpMode::kBf16 ? torch::kBFloat16 : torch::kFloat16);
    }
    const auto logits = model_->forward(images);
    loss = soft_target_cross_entropy(logits.to(torch::kFloat32), targets);
  }
  r.loss = loss.item<double>();
  if (!std::isfinite(r.loss)) {
    step_bad_ = true;
  } else {
    scaler_.scale(loss / static_cast<double>(accumulation)).backward();
  }
  ++micro_;
  ++state_.iteration;
  if (micro_ < accumulation) return r;

  micro_ = 0;
  r.optimizer_step = true;
  auto params = model_->parameters();
  bool finite = !step_bad_ && scaler_.unscale(params);
  // Without clipping (the official 7x7 recipes clip too) the norm is not
  // needed: the loss check and the fp16 scaler's check cover non-finite steps.
  if (finite && config_.optim.clip_grad > 0) {
    r.grad_norm = torch::nn::utils::clip_grad_norm_(params, config_.optim.clip_grad);
    finite = std::isfinite(r.grad_norm);
  }
  scaler_.update(finite);
  if (!finite) {
    optimizer_.adamw->zero_grad();
    r.skipped = true;
    ++state_.nonfinite_in_a_row;
    ++state_.nonfinite_total;
    return r;
  }
  state_.nonfinite_in_a_row = 0;
  optimizer_.adamw->step();
  optimizer_.adamw->zero_grad();
  ++state_.step;
  if (ema_ && state_.step % config_.ema.interval == 0) ema_->update(model_);
  return r;
}

}  // namespace hornet::engine

#include "hornet/engine/train_step.h"

#include "hornet/common/allocator.h"
#include "hornet/distributed/gradient_sync.h"
#include "hornet/engine/loss.h"
#include "hornet/ops/autocast.h"

#include <cmath>
#include <optional>

namespace hornet::engine {

TrainStep::TrainStep(models::ImageClassifier model, const config::ExperimentConfig& config, const TrainingPlan& plan,
                     AmpMode amp, distributed::ProcessGroup* group)
    : model_(std::move(model)),
      config_(config),
      plan_(plan),
      group_(group && group->size() > 1 ? group : nullptr),
      optimizer_(make_optimizer(*model_, config.optim)),
      schedule_(config.schedule, plan.lr, plan.steps_per_epoch),
      scaler_(GradScalerOptions{}, amp == AmpMode::kFp16),
      amp_(amp) {
  if (config.ema.enabled) ema_ = std::make_unique<ModelEma>(model_, config.ema.decay);
  state_.seed = config.runtime.seed;
  const torch::Tensor first = model_->parameters().front();
  if (amp == AmpMode::kFp16 && !first.is_cuda()) {
    throw std::invalid_argument("fp16 autocast needs a CUDA device; use bf16 on the CPU");
  }
  if (group_) {
    std::vector<torch::Tensor> trainable;
    for (const auto& p : model_->parameters()) {
      if (p.requires_grad()) trainable.push_back(p);
    }
    sync_ = std::make_unique<distributed::GradientSync>(
        *group_, trainable, static_cast<int64_t>(config.distributed.bucket_mb * 1024 * 1024));
  }
  common::keep_freed_memory();
}

TrainStep::~TrainStep() = default;

void TrainStep::start_epoch() {
  if (micro_ != 0) optimizer_.clear_grads();
  micro_ = 0;
}

StepResult TrainStep::run(const torch::Tensor& images, const torch::Tensor& targets, bool stop_wanted) {
  const int64_t accumulation = plan_.accumulation;
  StepResult r;
  if (micro_ == 0) {
    r.lr = schedule_.at(state_.step);
    optimizer_.set_lr(r.lr);
    step_bad_ = false;
    stop_wanted_ = false;
    loss_sum_ = 0.0;
    loss_count_ = 0;
  } else {
    r.lr = schedule_.at(state_.step);
  }
  model_->train();
  torch::Tensor loss;
  {
    std::optional<ops::AutocastGuard> autocast;
    if (amp_ != AmpMode::kOff) {
      autocast.emplace(images.device().type(), autocast_type(amp_));
    }
    const auto logits = model_->forward(images);
    loss = soft_target_cross_entropy(logits.to(torch::kFloat32), targets);
  }
  r.loss = loss.item<double>();
  stop_wanted_ = stop_wanted_ || stop_wanted;
  const bool last = micro_ + 1 == accumulation;
  if (sync_) sync_->begin_backward(last);
  if (!std::isfinite(r.loss)) {
    step_bad_ = true;
  } else {
    loss_sum_ += r.loss;
    ++loss_count_;
    scaler_.scale(loss / static_cast<double>(accumulation)).backward();
  }
  ++micro_;
  ++state_.iteration;
  if (!last) return r;

  micro_ = 0;
  r.optimizer_step = true;
  // What every rank must agree on: [finite loss sum, finite micro-batches, non-finite ones, stop requests].
  auto agreed = torch::tensor({loss_sum_, static_cast<double>(loss_count_), step_bad_ ? 1.0 : 0.0,
                               stop_wanted_ ? 1.0 : 0.0}, torch::kFloat64);
  if (sync_) {
    sync_->finish();
    agreed = agreed.to(group_->device());
    group_->allreduce(agreed);
    agreed = agreed.cpu();
  }
  const auto* a = agreed.data_ptr<double>();
  r.step_loss = a[1] > 0 ? a[0] / a[1] : NAN;
  r.stop = a[3] > 0;
  step_bad_ = a[2] > 0;
  auto params = model_->parameters();
  bool finite = !step_bad_ && scaler_.unscale(params);
  // Without clipping (the official 7x7 recipes clip too) the norm is not
  // needed: the loss check and the fp16 scaler's check cover non-finite steps.
  if (finite && config_.optim.clip_grad > 0) {
    r.grad_norm = clip_grad_norm(params, config_.optim.clip_grad);
    finite = std::isfinite(r.grad_norm);
  }
  scaler_.update(finite);
  if (!finite) {
    optimizer_.clear_grads();
    r.skipped = true;
    ++state_.nonfinite_in_a_row;
    ++state_.nonfinite_total;
    return r;
  }
  state_.nonfinite_in_a_row = 0;
  optimizer_.step();
  optimizer_.clear_grads();
  ++state_.step;
  if (ema_ && state_.step % config_.ema.interval == 0) ema_->update(model_);
  return r;
}

}  // namespace hornet::engine

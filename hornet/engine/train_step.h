// One training iteration, the recipe's arithmetic without data loading:
// forward (under autocast when asked), soft-target cross-entropy, backward;
// every `accumulation` micro-batches the LR for the step, gradient clipping by
// total norm, the AdamW step and the EMA update. Non-finite losses or
// gradients skip the step and are counted.
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/engine/checkpoint.h"
#include "hornet/engine/ema.h"
#include "hornet/engine/grad_scaler.h"
#include "hornet/engine/optimizer.h"

#include <memory>

namespace hornet::engine {

enum class AmpMode { kOff, kBf16, kFp16 };
AmpMode parse_amp(const std::string& text);

struct StepResult {
  double loss = 0.0;       ///< this micro-batch's loss (before division by accumulation)
  double lr = 0.0;         ///< the base LR of the current optimizer step
  double grad_norm = 0.0;  ///< total norm before clipping (optimizer steps with clipping only)
  bool optimizer_step = false;  ///< this micro-batch completed an optimizer step
  bool skipped = false;    ///< non-finite loss or gradients: no update
};

class TrainStep {
 public:
  TrainStep(models::ImageClassifier model, const config::ExperimentConfig& config, int64_t steps_per_epoch,
            int64_t global_batch, AmpMode amp);

  /// images: normalised float [N, 3, H, W]; targets: soft [N, C]; both on the model's device.
  StepResult run(const torch::Tensor& images, const torch::Tensor& targets);
  /// Drops a partly accumulated step (none is left at epoch ends when epochs
  /// hold whole optimizer steps, as the trainer arranges).
  void start_epoch();

  models::ImageClassifier& model() { return model_; }
  Optimizer& optimizer() { return optimizer_; }
  ModelEma* ema() { return ema_.get(); }
  GradScaler& scaler() { return scaler_; }
  const LrSchedule& schedule() const { return schedule_; }
  TrainState& state() { return state_; }
  TrainingParts parts() { return {model_, ema_.get(), &optimizer_, &scaler_}; }

 private:
  models::ImageClassifier model_;
  config::ExperimentConfig config_;
  Optimizer optimizer_;
  LrSchedule schedule_;
  std::unique_ptr<ModelEma> ema_;
  GradScaler scaler_;
  AmpMode amp_;
  TrainState state_;
  int64_t micro_ = 0;  ///< micro-batches into the current optimizer step
  bool step_bad_ = false;
};

}  // namespace hornet::engine

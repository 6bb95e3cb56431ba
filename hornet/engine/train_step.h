// One training iteration, the recipe's arithmetic without data loading:
// forward (under autocast when asked), soft-target cross-entropy, backward;
// every `accumulation` micro-batches the LR for the step, gradient clipping by
// total norm, the AdamW step and the EMA update. Non-finite losses or
// gradients skip the step and are counted.
//
// In a process group the step's last backward averages the gradients over
// the ranks (distributed::GradientSync), and one small all-reduce makes every
// rank agree on the step: its mean loss, whether any rank saw a non-finite
// loss (all skip), and whether any rank was asked to stop (all stop).
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/engine/training_checkpoint.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/ema.h"
#include "hornet/engine/grad_scaler.h"
#include "hornet/engine/optimizer.h"
#include "hornet/engine/plan.h"

#include <cmath>
#include <memory>

namespace hornet::distributed {
class GradientSync;
class ProcessGroup;
}  // namespace hornet::distributed

namespace hornet::engine {

struct StepResult {
  double loss = 0.0;       ///< this micro-batch's loss on this rank (before division by accumulation)
  double step_loss = NAN;  ///< optimizer steps: the mean finite loss over the step's micro-batches and ranks
  double lr = 0.0;         ///< the base LR of the current optimizer step
  double grad_norm = 0.0;  ///< total norm before clipping (optimizer steps with clipping only)
  bool optimizer_step = false;  ///< this micro-batch completed an optimizer step
  bool skipped = false;    ///< non-finite loss or gradients: no update
  bool stop = false;       ///< optimizer steps: some rank asked to stop here
};

class TrainStep {
 public:
  /// `group`: the ranks to average gradients over (null or one rank: none).
  TrainStep(models::ImageClassifier model, const config::ExperimentConfig& config, const TrainingPlan& plan,
            AmpMode amp, distributed::ProcessGroup* group = nullptr);
  ~TrainStep();

  /// images: normalised float [N, 3, H, W]; targets: soft [N, C]; both on the
  /// model's device. `stop_wanted`: this rank would like to stop at the end
  /// of the current optimizer step (a signal); the result's `stop` says
  /// whether the step ends the run on every rank.
  StepResult run(const torch::Tensor& images, const torch::Tensor& targets, bool stop_wanted = false);
  /// Drops a partly accumulated step (none is left at epoch ends when epochs
  /// hold whole optimizer steps, as the trainer arranges).
  void start_epoch();

  models::ImageClassifier& model() { return model_; }
  Optimizer& optimizer() { return optimizer_; }
  ModelEma* ema() { return ema_.get(); }
  GradScaler& scaler() { return scaler_; }
  const LrSchedule& schedule() const { return schedule_; }
  TrainState& state() { return state_; }
  const TrainingPlan& plan() const { return plan_; }
  /// The gradient synchroniser (null outside a process group).
  distributed::GradientSync* gradient_sync() { return sync_.get(); }
  TrainingParts parts() { return {model_, ema_.get(), &optimizer_, &scaler_}; }

 private:
  models::ImageClassifier model_;
  config::ExperimentConfig config_;
  TrainingPlan plan_;
  distributed::ProcessGroup* group_ = nullptr;
  std::unique_ptr<distributed::GradientSync> sync_;
  Optimizer optimizer_;
  LrSchedule schedule_;
  std::unique_ptr<ModelEma> ema_;
  GradScaler scaler_;
  AmpMode amp_;
  TrainState state_;
  int64_t micro_ = 0;  ///< micro-batches into the current optimizer step
  bool step_bad_ = false;
  bool stop_wanted_ = false;
  double loss_sum_ = 0.0;  ///< finite micro-batch losses of the current step
  int64_t loss_count_ = 0;
};

}  // namespace hornet::engine

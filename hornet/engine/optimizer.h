// AdamW with the official HorNet parameter groups (optim_factory.py): no weight
// decay on 1-D parameters and biases, and layer-wise LR decay over 14 groups,
// scale = layer_decay^(13 - layer id); and the LR schedules.
#pragma once

#include "hornet/config/experiment.h"

#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace hornet::engine {

/// The official layer id (0-13) of a parameter, by mmpretrain name:
/// downsample_layers.0 -> 0; stages.0 -> 1; stages.1 and downsample_layers.1
/// -> 2; downsample_layers.2 -> 3; block j of stages.2 -> min(3 + j/2, 11);
/// stages.3 and downsample_layers.3 -> 12; everything else (norm, head) -> 13.
int layer_id(const std::string& name);

struct ParamGroup {
  std::string name;  ///< "layer_<id>_decay" / "layer_<id>_no_decay"
  std::vector<std::string> params;
  double weight_decay = 0.0;
  double lr_scale = 1.0;
};

struct Optimizer {
  std::unique_ptr<torch::optim::AdamW> adamw;
  std::vector<ParamGroup> groups;  ///< parallel to adamw->param_groups()
  /// Sets every group's LR to lr * its scale.
  void set_lr(double lr);
  /// One AdamW step: torch::optim::AdamW's arithmetic (LibTorch 1.13's, op for
  /// op, on the same per-parameter state), applied to each group's parameters
  /// at once with the multi-tensor (_foreach) ops. On CUDA that is about ten
  /// kernel launches per group instead of ten per parameter; on the CPU the
  /// same per-tensor kernels run, so results are bit-identical to adamw->step().
  void step();
  /// Drops every parameter's gradient (set to none): the next backward writes
  /// fresh gradients instead of adding to zeroed ones.
  void clear_grads();
};

/// Scales the gradients of `params` so that their total L2 norm is at most
/// `max_norm` (torch::nn::utils::clip_grad_norm_'s arithmetic, with the
/// per-tensor norms and the scaling as multi-tensor ops); returns the norm
/// before clipping.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

/// Builds AdamW over `module`'s trainable parameters with the official groups.
Optimizer make_optimizer(torch::nn::Module& module, const config::OptimConfig& config);

/// The LR at each optimizer step.
///  - per iteration (the official cosine_scheduler): warmup_iters =
///    warmup_epochs * steps_per_epoch values from lr * warmup_start_factor to lr
///    (numpy linspace, both ends included), then
///    min_lr + (lr - min_lr) (1 + cos(pi i / T)) / 2 over the remaining T steps;
///  - per epoch (mmpretrain): linear warmup per step from lr * factor, then the
///    same cosine evaluated once per epoch.
class LrSchedule {
 public:
  LrSchedule(const config::ScheduleConfig& config, double lr, int64_t steps_per_epoch);
  double at(int64_t step) const;
  int64_t total_steps() const { return total_; }
  int64_t warmup_steps() const { return warmup_; }

 private:
  config::ScheduleConfig c_;
  double lr_;
  int64_t steps_per_epoch_;
  int64_t warmup_;
  int64_t total_;
};

/// The LR after linear scaling: lr * total_batch / base_batch_size (or lr
/// unchanged when base_batch_size is 0).
double scaled_lr(const config::OptimConfig& config, int64_t total_batch);

}  // namespace hornet::engine

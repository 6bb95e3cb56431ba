// The optimisation a run carries out, derived from the recipe and the world
// size: a recipe states the published total batch (images per optimizer step
// over all devices), the per-device micro-batch and the LR as published, and
//
//   accumulation = total_batch / (micro_batch x world_size)
//
// must be a whole number, so the same config trains identically on 1, 8 or 64
// devices. The LR is scaled linearly only when the total batch differs from
// the one the LR is meant for (optim.base_batch_size), which the plan states.
#pragma once

#include "hornet/config/experiment.h"

#include <string>
#include <vector>

namespace hornet::engine {

struct TrainingPlan {
  int64_t world_size = 1;
  int64_t micro_batch = 0;   ///< per device
  int64_t accumulation = 1;  ///< micro-batches per device and optimizer step
  int64_t total_batch = 0;   ///< images per optimizer step, all devices
  double lr = 0.0;           ///< the peak LR the schedule uses
  double recipe_lr = 0.0;    ///< optim.lr
  int64_t lr_batch = 0;      ///< the total batch optim.lr is meant for (0: none stated)
  bool lr_scaled = false;
  int64_t epochs = 0;
  int64_t dataset_size = 0;     ///< 0: unknown (then no step counts)
  int64_t steps_per_epoch = 0;  ///< optimizer steps
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;

  /// Micro-batches each device runs per epoch (whole optimizer steps only).
  int64_t micro_batches_per_epoch() const { return steps_per_epoch * accumulation; }
  /// The plan as printed by the run header and --dry-run, one fact per line.
  std::vector<std::string> describe() const;
};

/// Throws ConfigError naming optim.total_batch and data.train.batch_size when
/// the world size does not divide the total batch into whole micro-batches,
/// and std::invalid_argument when the dataset holds less than one step.
TrainingPlan make_training_plan(const config::ExperimentConfig& config, int64_t world_size, int64_t dataset_size);

/// Batches of `micro_batch` one rank of `world_size` draws from `dataset_size`
/// samples per epoch (PyTorch's DistributedSampler pads the epoch to a
/// multiple of the world size; the incomplete last batch is dropped).
int64_t batches_per_rank(int64_t dataset_size, int64_t world_size, int64_t micro_batch);

}  // namespace hornet::engine

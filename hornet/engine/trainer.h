// The training loop: hornet-train's engine.
//
//   for each epoch: for each batch: normalise, Mixup/CutMix, TrainStep (forward,
//   backward, accumulation, clipping, AdamW, EMA), log; then validate (on the
//   EMA weights when configured), checkpoint (epoch_N, last, best), prune.
//
// Checkpoints hold everything a resumed run needs to continue exactly: the
// loader's order and augmentations are keyed by (seed, epoch, sample), Mixup
// by (seed, epoch, batch), and drop path's generator state is saved.
#pragma once

#include "hornet/config/experiment.h"

#include <string>

namespace hornet::engine {

struct TrainerOptions {
  std::string work_dir;
  /// "" (start fresh), "auto" (work_dir/last.pth when present) or a checkpoint path.
  std::string resume;
};

struct TrainSummary {
  int64_t epochs = 0;
  int64_t steps = 0;
  double last_top1 = -1.0;
  double best_top1 = -1.0;
  int64_t skipped_steps = 0;
  std::string last_checkpoint;
  std::string best_checkpoint;
};

/// Trains as `config` says. `resolved` is written to work_dir/config.yaml and
/// into every checkpoint. Throws for bad inputs before the first step, and
/// after `max_nonfinite_steps` non-finite steps in a row.
TrainSummary train(const config::ExperimentConfig& config, const config::Config& resolved,
                   const TrainerOptions& options);

}  // namespace hornet::engine

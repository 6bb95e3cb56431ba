// The training loop: hornet-train's engine.
//
//   for each epoch: for each batch: normalise, Mixup/CutMix, TrainStep (forward,
//   backward, accumulation, clipping, AdamW, EMA), log; then validate (on the
//   EMA weights when configured), checkpoint (epoch_N, last, best), prune.
//
// Checkpoints hold everything a resumed run needs to continue exactly: the
// loader's order and augmentations are keyed by (seed, epoch, sample, rank),
// Mixup by (seed, epoch, batch, rank), and every rank's drop-path generator
// state is saved.
//
// Started by a launcher (torchrun, srun, mpirun, hornet-train
// --nproc-per-node), the run joins a process group: each rank trains on its
// shard with the plan's accumulation, gradients are averaged over the ranks,
// validation is distributed, and rank 0 writes the logs and checkpoints.
// SIGINT, SIGTERM and SIGUSR1 stop every rank at the same optimizer step with
// a checkpoint (last.pth).
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
  /// A stop signal ended the run early (after saving last.pth).
  bool stopped = false;
};

/// Trains as `config` says. `resolved` is written to work_dir/config.yaml and
/// into every checkpoint. Throws for bad inputs before the first step, and
/// after `max_nonfinite_steps` non-finite steps in a row.
TrainSummary train(const config::ExperimentConfig& config, const config::Config& resolved,
                   const TrainerOptions& options);

}  // namespace hornet::engine

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
  /// The checkpoint to continue from (see resolve_resume in run_dir.h), or "" to start.
  std::string resume;
  /// --resume was given (with nothing to resume, the run starts and replaces the old log).
  bool resume_requested = false;
  /// Start a new run in a work dir that holds one, replacing its checkpoints and logs.
  bool overwrite = false;
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
/// into every checkpoint. Throws for bad inputs before the first step (and
/// before writing anything into the work dir): among them a work dir that
/// holds a run while neither resume nor overwrite is asked for. Also throws
/// after `max_nonfinite_steps` non-finite steps in a row.
TrainSummary train(const config::ExperimentConfig& config, const config::Config& resolved,
                   const TrainerOptions& options);

}  // namespace hornet::engine

// Training checkpoints: everything needed to continue a run exactly, written
// as torch.save zip files Python reads, atomically (temporary file, fsync,
// rename, directory fsync).
//
// Layout (mmengine's, so mmpretrain and hornet's own readers agree):
//   meta:           epoch, batch, step, iter, seed, best metric, skipped-step
//                   counters, the resolved config (YAML), hornet's version,
//                   dataset_meta.classes (the class names, mmengine's key)
//   state_dict:     the EMA weights when EMA is on, else the raw weights
//                   (mmengine's EMAHook convention)
//   ema_state_dict: with EMA, the raw weights as module.<name>, plus steps
//   optimizer:      PyTorch's AdamW state_dict layout (state by parameter index,
//                   param_groups with lr, betas, eps, weight_decay, lr_scale)
//   scaler:         scale and growth tracker of the fp16 loss scaler
//   rng:            the torch CPU generator state (drop path) of rank 0 as
//                   torch_cpu, and of every rank as torch_cpu_ranks
//   meta also holds the world size and accumulation the run had, so that a
//   resume with another world size re-derives its position in the epoch.
#pragma once

#include "hornet/engine/ema.h"
#include "hornet/engine/grad_scaler.h"
#include "hornet/engine/optimizer.h"

#include <string>
#include <vector>

namespace hornet::engine {

/// Where a run stands; saved in every checkpoint.
struct TrainState {
  int64_t epoch = 0;       ///< epoch to continue in
  int64_t batch = 0;       ///< next batch of that epoch
  int64_t step = 0;        ///< optimizer steps taken
  int64_t iteration = 0;   ///< micro-batches seen
  double best_metric = -1.0;
  int64_t best_epoch = -1;
  int64_t nonfinite_in_a_row = 0;
  int64_t nonfinite_total = 0;
  uint64_t seed = 0;
  int64_t world_size = 1;    ///< ranks that wrote this state
  int64_t accumulation = 1;  ///< micro-batches per optimizer step and rank (0: not recorded)
  /// The weights validation used and the log reported: "ema" or "raw".
  std::string evaluated_weights = "raw";
  /// The training set's class names (meta.dataset_meta.classes, as mmengine
  /// stores them); empty when its classes are only numbered.
  std::vector<std::string> class_names;
  /// Each rank's CPU generator state (drop path), by rank.
  std::vector<torch::Tensor> rank_rng;
};

struct TrainingParts {
  models::ImageClassifier model{nullptr};
  ModelEma* ema = nullptr;  ///< may be null
  Optimizer* optimizer = nullptr;
  GradScaler* scaler = nullptr;
};

void save_training_checkpoint(const std::string& path, const TrainingParts& parts, const TrainState& state,
                              const std::string& resolved_config);

/// Restores model, EMA, optimizer and scaler from a checkpoint hornet wrote;
/// returns the saved state (with every rank's generator state, which the
/// caller applies). Throws std::runtime_error naming the file
/// when it does not fit the parts (another arch, no optimizer state, ...).
TrainState load_training_checkpoint(const std::string& path, const TrainingParts& parts);

}  // namespace hornet::engine

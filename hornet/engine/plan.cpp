#include "hornet/engine/plan.h"

#include "hornet/engine/optimizer.h"

#include <spdlog/fmt/fmt.h>

#include <numeric>

namespace hornet::engine {

int64_t batches_per_rank(int64_t dataset_size, int64_t world_size, int64_t micro_batch) {
  const int64_t per_rank = (dataset_size + world_size - 1) / world_size;
  return per_rank / micro_batch;
}

TrainingPlan make_training_plan(const config::ExperimentConfig& c, int64_t world_size, int64_t dataset_size) {
  if (world_size < 1) throw std::invalid_argument("the world size must be at least 1");
  TrainingPlan p;
  p.world_size = world_size;
  p.micro_batch = c.train.batch_size;
  const int64_t per_round = p.micro_batch * world_size;
  p.total_batch = c.optim.total_batch > 0 ? c.optim.total_batch : per_round;
  if (p.total_batch % per_round != 0) {
    const std::string what = fmt::format(
        "{} {} is not a whole number of rounds of {} {} x world size {} = {} images", config::keys::kTotalBatch,
        p.total_batch, config::keys::kTrainBatchSize, p.micro_batch, world_size, per_round);
    if (p.total_batch % world_size != 0) {
      throw config::ConfigError(what + fmt::format(": {} images cannot be split evenly over {} devices; use a device "
                                                   "count that divides them",
                                                   p.total_batch, world_size));
    }
    throw config::ConfigError(what + fmt::format(": each device's {} images per step are not a multiple of the "
                                                 "micro-batch; e.g. {}={} divides them",
                                                 p.total_batch / world_size, config::keys::kTrainBatchSize,
                                                 std::gcd(p.total_batch / world_size, p.micro_batch)));
  }
  p.accumulation = p.total_batch / per_round;
  p.recipe_lr = c.optim.lr;
  p.lr_batch = c.optim.base_batch_size;
  p.lr = scaled_lr(c.optim, p.total_batch);
  p.lr_scaled = p.lr_batch > 0 && p.lr_batch != p.total_batch;
  p.epochs = c.schedule.epochs;
  p.dataset_size = dataset_size;
  if (dataset_size > 0) {
    p.steps_per_epoch = batches_per_rank(dataset_size, world_size, p.micro_batch) / p.accumulation;
    if (p.steps_per_epoch < 1) {
      throw std::invalid_argument(fmt::format(
          "the dataset's {} images make no optimizer step of {} (world size {} x micro-batch {} x accumulation {})",
          dataset_size, p.total_batch, world_size, p.micro_batch, p.accumulation));
    }
    const LrSchedule schedule(c.schedule, p.lr, p.steps_per_epoch);
    p.warmup_steps = schedule.warmup_steps();
    p.total_steps = schedule.total_steps();
  }
  return p;
}

std::vector<std::string> TrainingPlan::describe() const {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("total batch {} = world size {} x micro-batch {} x accumulation {}", total_batch,
                              world_size, micro_batch, accumulation));
  if (lr_scaled) {
    lines.push_back(fmt::format("lr {:.4g}: {} {:.4g} is meant for a total batch of {} ({}), scaled linearly to {}",
                                lr, config::keys::kLr, recipe_lr, lr_batch, config::keys::kBaseBatchSize, total_batch));
  } else {
    lines.push_back(fmt::format("lr {:.4g}", lr));
  }
  if (dataset_size > 0) {
    lines.push_back(fmt::format("{} images: {} steps per epoch x {} epochs = {} steps, {} warmup steps",
                                dataset_size, steps_per_epoch, epochs, total_steps, warmup_steps));
  } else {
    lines.push_back(fmt::format("{} epochs; steps per epoch depend on the dataset size (unknown: set {} or give "
                                "--dataset-size)",
                                epochs, config::keys::kExpectedSize));
  }
  return lines;
}

}  // namespace hornet::engine

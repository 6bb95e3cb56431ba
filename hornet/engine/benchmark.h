// Timing the training step of an arch on synthetic data (no data loading):
// forward, soft-target cross-entropy, backward and the AdamW step of the
// default recipe.
#pragma once

#include "hornet/models/arch.h"

#include <cstdint>
#include <vector>

namespace hornet::engine {

struct StepTiming {
  std::vector<double> seconds;  ///< per timed step
  double median = 0.0;
  double images_per_second = 0.0;
};

StepTiming benchmark_train_step(const models::ArchSpec& arch, int64_t batch_size, int64_t image_size, int steps,
                                int warmup = 2, int64_t num_classes = 1000);

}  // namespace hornet::engine

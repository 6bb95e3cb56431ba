// Timing the training step of an arch on synthetic data (no data loading):
// forward, soft-target cross-entropy, backward and the AdamW step of the
// default recipe. In a process group every rank runs the step on its own
// batch and the gradients are averaged as in training; the timing then also
// says how much of the all-reduce backward hid.
#pragma once

#include "hornet/models/arch.h"

#include <cstdint>
#include <vector>

namespace hornet::distributed {
class ProcessGroup;
}

namespace hornet::engine {

struct StepTiming {
  std::vector<double> seconds;  ///< per timed step
  double median = 0.0;
  double images_per_second = 0.0;  ///< all ranks together
  // In a process group:
  int64_t buckets = 0;
  int64_t bucket_bytes = 0;         ///< all buckets together
  double allreduce_seconds = 0.0;   ///< median time to all-reduce every bucket with nothing else running
  double exposed_seconds = 0.0;     ///< median time the step waited for it after backward
  double launched_in_backward = 0;  ///< share of the buckets launched before backward ended
};

StepTiming benchmark_train_step(const models::ArchSpec& arch, int64_t batch_size, int64_t image_size, int steps,
                                int warmup = 2, int64_t num_classes = 1000,
                                distributed::ProcessGroup* group = nullptr);

}  // namespace hornet::engine

// Timing the training step of an arch on synthetic data (no data loading):
// forward, soft-target cross-entropy, backward and the AdamW step of the
// default recipe, on the device and with the mixed precision, memory format
// and activation checkpointing a run would use. In a process group every rank
// runs the step on its own batch and the gradients are averaged as in
// training; the timing then also says how much of the all-reduce backward hid.
// The inference timing runs the forward alone, without gradients.
#pragma once

#include "hornet/engine/device_setup.h"
#include "hornet/models/arch.h"

#include <cstdint>
#include <vector>

namespace hornet::distributed {
class ProcessGroup;
}

namespace hornet::engine {

struct BenchmarkOptions {
  models::ArchSpec arch = models::arch_by_name("tiny");
  int64_t batch_size = 16;
  int64_t image_size = 224;
  int steps = 5;   ///< timed steps
  int warmup = 2;  ///< untimed steps first (cuDNN's algorithm search, allocator growth)
  int64_t num_classes = 1000;
  DeviceSetup setup;  ///< device, amp, channels-last, activation checkpointing
};

struct StepTiming {
  std::vector<double> seconds;  ///< per timed step
  double median = 0.0;
  double images_per_second = 0.0;  ///< all ranks together
  int64_t peak_memory = -1;        ///< CUDA: the caching allocator's peak bytes over the timed steps
  // In a process group:
  int64_t buckets = 0;
  int64_t bucket_bytes = 0;         ///< all buckets together
  double allreduce_seconds = 0.0;   ///< median time to all-reduce every bucket with nothing else running
  double exposed_seconds = 0.0;     ///< median time the step waited for it after backward
  double launched_in_backward = 0;  ///< share of the buckets launched before backward ended
};

StepTiming benchmark_train_step(const BenchmarkOptions& options, distributed::ProcessGroup* group = nullptr);

/// Forward passes in evaluation mode, without gradients (validation's work per batch).
StepTiming benchmark_inference(const BenchmarkOptions& options);

}  // namespace hornet::engine

// Data-parallel gradient averaging, as PyTorch's DistributedDataParallel does
// it: parameters are grouped into buckets of about `bucket_bytes` in reverse
// order of registration (roughly the order backward produces their
// gradients); a per-parameter hook copies each gradient into its bucket as
// backward computes it, and a full bucket is all-reduced at once, while
// backward goes on with the layers before it. Buckets are launched in the same
// order on every rank, as the collectives must match.
//
// With gradient accumulation only the step's last micro-batch synchronises:
// the hook then copies the gradient accumulated so far plus the new one, and
// `finish()` writes the average over ranks back into every `.grad`.
#pragma once

#include "hornet/distributed/process_group.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace torch::nn {
class Module;
}

namespace hornet::distributed {

/// Every rank's parameters and buffers become rank `root`'s.
void broadcast_state(ProcessGroup& group, torch::nn::Module& module, int root = 0);

class GradientSync {
 public:
  GradientSync(ProcessGroup& group, std::vector<at::Tensor> parameters, int64_t bucket_bytes);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  /// Call before each micro-batch's backward; `synchronise` for the last one
  /// of an optimizer step (the others accumulate locally).
  void begin_backward(bool synchronise);
  /// After the synchronising backward: all-reduces what backward did not
  /// launch, waits, and leaves every gradient averaged over the ranks.
  void finish();

  struct Stats {
    int64_t buckets = 0;
    int64_t bytes = 0;
    /// Buckets launched while backward was still running (in the last step).
    int64_t launched_in_backward = 0;
    /// Seconds `finish()` took in the last step: the communication backward did not hide.
    double exposed_seconds = 0.0;
  };
  Stats stats() const;
  /// Seconds to all-reduce every bucket once with nothing else running (for
  /// measuring how much of it the overlap hides).
  double time_allreduce_alone();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hornet::distributed

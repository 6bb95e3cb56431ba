// A process group over PyTorch's c10d: rendezvous through a TCPStore held by
// rank 0, collectives by Gloo (CPU tensors) or NCCL (CUDA builds).
//
// Failures name the rank at fault. Every rank keeps a heartbeat counter in the
// store; when a collective fails or times out, the ranks whose counters have
// stopped are reported ("rank 1 stopped answering"), and a store that no
// longer answers means rank 0 is gone. Collectives and the rendezvous give up
// after `timeout`, so a dead or stuck rank never hangs the others.
#pragma once

#include "hornet/distributed/environment.h"

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hornet::distributed {

/// A collective or rendezvous that failed; the message names the rank at fault when it is known.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The collectives' engine: Gloo, NCCL, or auto (NCCL when the group is on CUDA, else Gloo).
enum class Backend { kAuto, kGloo, kNccl };

struct GroupOptions {
  Backend backend = Backend::kAuto;
  bool cuda = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  /// What the timeout is called where the user sets it, for the message of a collective that waits too long.
  std::string timeout_setting = "the collective timeout";
};

/// A collective in flight.
class Work {
 public:
  /// Blocks until it completes; throws DistributedError on failure.
  void wait();

 private:
  friend class ProcessGroup;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

class ProcessGroup {
 public:
  /// Joins the group `env` describes; throws DistributedError when the store
  /// cannot be reached or not every rank arrives within the timeout.
  ProcessGroup(const LaunchEnvironment& env, const GroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int size() const;
  const std::string& backend() const;
  /// Where this group's tensors must live (the local GPU for NCCL, else the CPU).
  at::Device device() const;

  /// Sums `tensor` over the ranks in place, asynchronously.
  Work allreduce_async(at::Tensor& tensor);
  void allreduce(at::Tensor& tensor);
  /// Every rank's `tensors` become root's.
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
  /// Every rank's copy of `tensor` (same shape and type on every rank), in rank order.
  std::vector<at::Tensor> allgather(const at::Tensor& tensor);
  /// Every rank's `text`, in rank order.
  std::vector<std::string> allgather_text(const std::string& text);
  void barrier();

  struct Impl;  ///< opaque: c10d's types stay out of this header

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace hornet::distributed

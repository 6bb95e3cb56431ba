// The loader's batches on the training device, one batch ahead.
//
// On CUDA the next batch's uint8 images and labels are copied from the
// loader's pinned buffers on a side stream while the current step computes;
// the compute stream waits only for that copy (an event), never the host.
// A pinned buffer goes back to the loader once its copy has finished. On the
// CPU the loader's batch is handed through.
#pragma once

#include "hornet/data/loader.h"

#include <torch/types.h>

#include <memory>
#include <optional>

namespace hornet::data {

class DevicePrefetcher {
 public:
  /// `loader` must outlive the prefetcher.
  DevicePrefetcher(DataLoader& loader, const torch::Device& device);
  ~DevicePrefetcher();
  DevicePrefetcher(const DevicePrefetcher&) = delete;
  DevicePrefetcher& operator=(const DevicePrefetcher&) = delete;

  /// DataLoader::start_epoch, dropping the batch fetched ahead.
  void start_epoch(int64_t epoch, int64_t start_batch = 0);
  /// The epoch's next batch with images and labels on the device, ready for
  /// the device's current stream; valid until the following call.
  std::optional<Batch> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hornet::data

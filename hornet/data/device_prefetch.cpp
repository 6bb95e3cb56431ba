#include "hornet/data/device_prefetch.h"

#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

namespace hornet::data {

// The stream and event calls go through c10's device-generic interface, which
// a CUDA build of LibTorch serves; this file needs no CUDA header.
struct DevicePrefetcher::Impl {
  DataLoader& loader;
  torch::Device device;
  bool streams = false;  ///< CUDA: copies on a side stream one batch ahead
  std::optional<c10::impl::VirtualGuardImpl> guard;
  std::optional<c10::Stream> side;
  std::optional<Batch> ahead;  ///< the batch whose copy is queued on the side stream
  std::optional<c10::Event> copied;  ///< recorded on the side stream after ahead's copy
  bool primed = false;         ///< `ahead` holds the epoch's next batch (or its end)

  Impl(DataLoader& l, const torch::Device& d) : loader(l), device(d), streams(d.is_cuda()) {
    if (!streams) return;
    if (!device.has_index()) device = torch::Device(torch::kCUDA, 0);
    guard.emplace(c10::DeviceType::CUDA);
    side = guard->getStreamFromGlobalPool(device);
  }

  // Queues the copy of the loader's next batch on the side stream, and an
  // event that marks its end.
  void fetch() {
    ahead = loader.next();
    copied.reset();
    if (!ahead) return;
    c10::StreamGuard on_side(*side);
    ahead->images = ahead->images.to(device, /*non_blocking=*/true);
    ahead->labels = ahead->labels.to(device, /*non_blocking=*/true);
    ahead->indices = ahead->indices.clone();  // its buffer goes back to the loader before the batch is used
    copied.emplace(c10::DeviceType::CUDA);
    copied->record(*side);
  }

  // Waits until the side stream's copies are done, so that the pinned buffers
  // they read from can go back to the loader.
  void finish_copies() {
    if (side) guard->synchronizeStream(*side);
  }

  std::optional<Batch> next() {
    if (!streams) return loader.next();
    if (!primed) {
      fetch();
      primed = true;
    }
    if (!ahead) return std::nullopt;
    auto current = std::move(ahead);
    const c10::Stream compute = guard->getStream(device);
    // The compute stream waits for current's copy; its memory, allocated on
    // the side stream, is not reused before the compute stream is done with it.
    copied->block(compute);
    guard->recordDataPtrOnStream(current->images.storage().data_ptr(), compute);
    guard->recordDataPtrOnStream(current->labels.storage().data_ptr(), compute);
    finish_copies();
    fetch();  // hands current's pinned buffer back to the loader, queues the next copy
    return current;
  }
};

DevicePrefetcher::DevicePrefetcher(DataLoader& loader, const torch::Device& device)
    : impl_(std::make_unique<Impl>(loader, device)) {}

DevicePrefetcher::~DevicePrefetcher() {
  try {
    impl_->finish_copies();
  } catch (...) {
  }
}

void DevicePrefetcher::start_epoch(int64_t epoch, int64_t start_batch) {
  impl_->finish_copies();
  impl_->ahead.reset();
  impl_->copied.reset();
  impl_->primed = false;
  impl_->loader.start_epoch(epoch, start_batch);
}

std::optional<Batch> DevicePrefetcher::next() { return impl_->next(); }

}  // namespace hornet::data

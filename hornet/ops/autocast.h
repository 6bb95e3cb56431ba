// Scoped control of autocast (mixed precision) for the current thread.
//
// LibTorch has no RAII autocast guard, and its setters changed in 2.4 (one API
// per device type before, one taking a DeviceType after); both guards here hide
// that. The GF filter's FFT must run in float32 whatever the caller enabled
// (docs/model.md §11.10), hence the disabling guard.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/DispatchKeySet.h>
#include <c10/core/ScalarType.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

namespace hornet::ops {

/// Whether autocast is on for `device` (kCPU or kCUDA) in this thread.
bool autocast_enabled(c10::DeviceType device);
/// The type autocast casts to on `device` (kCPU or kCUDA) in this thread.
c10::ScalarType autocast_dtype(c10::DeviceType device);

/// Enables autocast to `dtype` on `device` (kCPU or kCUDA) while alive and
/// restores the previous state afterwards, clearing the cast cache when the
/// outermost guard exits (as Python's torch.autocast does).
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool prev_enabled_;
  c10::ScalarType prev_dtype_;
};

/// Disables every autocast dispatch key (CPU, CUDA, ...) while alive, the way
/// autocast's own kernels step out of autocast before calling the real op.
/// Tensors keep their dtypes: cast explicitly inside the region.
class AutocastDisabledGuard {
 public:
  AutocastDisabledGuard() : guard_(c10::autocast_dispatch_keyset) {}

 private:
  c10::impl::ExcludeDispatchKeyGuard guard_;
};

}  // namespace hornet::ops

// What only a CUDA build of LibTorch can tell about a CUDA device: its name and
// compute capability, and the caching allocator's peak memory. A CPU build has
// no CUDA device to ask about; there these throw std::logic_error (callers
// check torch::cuda::is_available() first).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>

namespace hornet::common {

/// Throws std::invalid_argument when `device` cannot be used here, saying why:
/// a build without CUDA support, no CUDA device present, or an index past the
/// devices present. `setting` names where the device came from ("--device",
/// "runtime.device").
void check_device_usable(const c10::Device& device, const std::string& setting);

struct CudaDeviceInfo {
  std::string name;
  int major = 0;  ///< compute capability
  int minor = 0;
  int64_t total_memory = 0;  ///< bytes
};

CudaDeviceInfo cuda_device_info(int index);

/// The most memory the caching allocator had handed out on device `index`
/// since the last reset (PyTorch's torch.cuda.max_memory_allocated).
int64_t cuda_peak_allocated_bytes(int index);
void cuda_reset_peak_memory(int index);

}  // namespace hornet::common

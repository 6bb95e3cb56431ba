#include "hornet/common/cuda_device.h"

#include "hornet/build_config.h"

#ifdef HORNET_WITH_CUDA
#include "hornet/common/torch_compat.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <torch/cuda.h>

#include <stdexcept>

namespace hornet::common {

void check_device_usable(const c10::Device& device, const std::string& setting) {
  if (!device.is_cuda()) return;
  const std::string what = setting + " is " + device.str();
#ifndef HORNET_WITH_CUDA
  throw std::invalid_argument(what + ", but this build of hornet has no CUDA support (it was built against a "
                              "CPU-only LibTorch; HORNET_TORCH=pypi scripts/setup.sh builds the CUDA one)");
#endif
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (count == 0) {
    throw std::invalid_argument(what + ", but no CUDA device is present on this machine (the driver reports "
                                "none); use the CPU (cpu) here");
  }
  if (device.has_index() && device.index() >= count) {
    throw std::invalid_argument(what + ", but only " + std::to_string(count) + " CUDA device" +
                                (count == 1 ? " is" : "s are") + " present (cuda:0" +
                                (count > 1 ? "..cuda:" + std::to_string(count - 1) : std::string()) + ")");
  }
}

#ifdef HORNET_WITH_CUDA

CudaDeviceInfo cuda_device_info(int index) {
  const cudaDeviceProp* p = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(index));
  CudaDeviceInfo info;
  info.name = p->name;
  info.major = p->major;
  info.minor = p->minor;
  info.total_memory = static_cast<int64_t>(p->totalGlobalMem);
  return info;
}

int64_t cuda_peak_allocated_bytes(int index) {
  // 2.5 moved the statistics' types to the device-generic caching allocator.
#if HORNET_TORCH_VERSION_AT_LEAST(2, 5)
  using c10::CachingDeviceAllocator::StatType;
#else
  using c10::cuda::CUDACachingAllocator::StatType;
#endif
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
  return stats.allocated_bytes[static_cast<size_t>(StatType::AGGREGATE)].peak;
}

void cuda_reset_peak_memory(int index) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(index));
}

#else

namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw std::logic_error(std::string(what) + ": this build of hornet has no CUDA support");
}
}  // namespace

CudaDeviceInfo cuda_device_info(int) { no_cuda("cuda_device_info"); }
int64_t cuda_peak_allocated_bytes(int) { no_cuda("cuda_peak_allocated_bytes"); }
void cuda_reset_peak_memory(int) { no_cuda("cuda_reset_peak_memory"); }

#endif

}  // namespace hornet::common

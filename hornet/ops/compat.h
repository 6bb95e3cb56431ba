// LibTorch version differences, in one place.
//
// hornet builds against Debian's LibTorch 1.13 (CPU) and the LibTorch inside pip
// torch 2.x (CUDA). Code elsewhere tests the macros below instead of spelling out
// version numbers.
#pragma once

#include <torch/version.h>

#define HORNET_TORCH_VERSION_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||                 \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// 2.4 replaced the per-device autocast setters with ones taking a DeviceType.
#define HORNET_TORCH_HAS_DEVICE_AUTOCAST_API HORNET_TORCH_VERSION_AT_LEAST(2, 4)

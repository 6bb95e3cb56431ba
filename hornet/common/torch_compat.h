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

#include <torch/optim/optimizer.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace hornet::common {

/// The key LibTorch's Optimizer::state() uses for a parameter: a string of its
/// TensorImpl address in 1.13, the address itself in later versions.
template <typename Optimizer = torch::optim::Optimizer>
auto optimizer_state_key(const at::Tensor& param) {
  using Key = typename std::decay_t<decltype(std::declval<Optimizer&>().state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    // 1.13 formats the address with c10::guts::to_string, an ostream insertion
    // (the helper itself is gone from later versions).
    std::ostringstream key;
    key << param.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<Key>(param.unsafeGetTensorImpl());
  }
}

}  // namespace hornet::common

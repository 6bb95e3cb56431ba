#include "hornet/common/version.h"

#include "hornet/build_config.h"

#include <torch/version.h>

namespace hornet {

std::string version_text() {
  std::string text = std::string("hornet ") + kVersion + " (LibTorch " + std::to_string(TORCH_VERSION_MAJOR) + "." +
                     std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
#ifdef HORNET_WITH_CUDA
  text += ", CUDA " HORNET_CUDA_VERSION " kernels for " HORNET_CUDA_ARCH_LIST;
#else
  text += ", CPU only";
#endif
  return text + ")";
}

}  // namespace hornet

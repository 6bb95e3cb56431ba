// The one piece of the fused ops that needs CUDA LibTorch: the stream the
// kernels launch on (CUDA builds only).
#include <c10/cuda/CUDAStream.h>

namespace hornet::ops::kernels {

void* current_cuda_stream(c10::DeviceIndex device) { return c10::cuda::getCurrentCUDAStream(device).stream(); }

}  // namespace hornet::ops::kernels

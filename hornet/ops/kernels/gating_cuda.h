// Launchers of gnConv's gating kernels (gating.cu): raw pointers, layouts and
// a stream, no CUDA or LibTorch header. `a`, `y`, `da` and `dy` share layout
// `a_layout` (d channels); `mixed` and `dmixed` share `mixed_layout`, of which
// channels [first, first + d) are this step's gate.
#pragma once

#include "hornet/ops/kernels/layer_norm_cuda.h"

namespace hornet::ops::kernels {

/// y = a * (scale * mixed[:, first:first+d]). Returns 0 or the cudaError_t.
int gate_forward_cuda(DType dtype, const void* a, const void* mixed, void* y, const ChannelLayout& a_layout,
                      const ChannelLayout& mixed_layout, int64_t first, float scale, void* stream);

/// da, and this step's channels of dmixed (the others are left as they are).
int gate_backward_cuda(DType dtype, const void* a, const void* mixed, const void* dy, void* da, void* dmixed,
                       const ChannelLayout& a_layout, const ChannelLayout& mixed_layout, int64_t first, float scale,
                       void* stream);

}  // namespace hornet::ops::kernels

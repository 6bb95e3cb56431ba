// Launchers of the GF filter's kernels (global_filter.cu): the complex
// weighting of a spectrum and the interleaved post-norm. Raw pointers, shapes
// and a stream; no CUDA or LibTorch header.
#pragma once

#include "hornet/ops/kernels/global_filter_math.h"
#include "hornet/ops/kernels/layer_norm_cuda.h"

namespace hornet::ops::kernels {

/// out = spectrum * weight: float pairs, spectrum/out [N, C, F, 2], weight [C, F, 2].
int spectrum_weight_forward_cuda(const float* spectrum, const float* weight, float* out, const SpectrumShape& shape,
                                 void* stream);

/// dspectrum [N, C, F, 2] and dweight [C, F, 2] (summed over the batch in a fixed order).
int spectrum_weight_backward_cuda(const float* spectrum, const float* weight, const float* dout, float* dspectrum,
                                  float* dweight, const SpectrumShape& shape, void* stream);

/// y [N, 2c, H, W] = channels-first LayerNorm of local and global interleaved
/// (channel 2k local k, 2k + 1 global k); local in `dtype`, global float32 (the
/// FFT's precision), y in `dtype`. `local_layout` (c channels) and
/// `global_layout` locate the inputs, `y_layout` the output; mean and rstd
/// receive [N * H * W] floats.
int interleaved_norm_forward_cuda(DType dtype, const void* local, const float* global, const float* weight,
                                  const float* bias, void* y, float* mean, float* rstd,
                                  const ChannelLayout& local_layout, const ChannelLayout& global_layout,
                                  const ChannelLayout& y_layout, float eps, void* stream);

/// dlocal (dtype, laid out as local), dglobal (float32, as global) and the [2c]
/// weight and bias gradients; dy is laid out as y.
int interleaved_norm_backward_cuda(DType dtype, const void* local, const float* global, const void* dy,
                                   const float* weight, const float* mean, const float* rstd, void* dlocal,
                                   float* dglobal, float* dweight, float* dbias, const ChannelLayout& local_layout,
                                   const ChannelLayout& global_layout, const ChannelLayout& y_layout, void* stream);

}  // namespace hornet::ops::kernels

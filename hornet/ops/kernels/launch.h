// The fused gnConv kernels as two interchangeable sets of launchers with one
// signature: CUDA (the .cu files, registered by CUDA builds) and CPU (the same
// per-element math in loops: the kernels' twin, which tests run everywhere).
// Launchers take raw pointers, ChannelLayouts or shapes, and a stream; they
// include no LibTorch header. The autograd ops over them are in fused_ops.h.
//
// Types: the activations a launcher reads and writes all have one `DType`
// (the autograd glue converts or refuses mixed inputs before launching);
// weights, biases, the saved mean and rstd, workspaces and accumulations are
// float, or double when the activations are (kFloat64, CPU only, for gradient
// checks). bf16 and fp16 values are computed in float and rounded once on
// store, on both backends. Spectra are float pairs (double pairs for
// kFloat64; the FFTs run in float32, so no reduced type). Each launcher
// returns 0, or an error code (a cudaError_t on CUDA, kUnsupported for a type
// a backend lacks).
#pragma once

#include "hornet/ops/kernels/global_filter_math.h"
#include "hornet/ops/kernels/layer_norm_math.h"

namespace hornet::ops::kernels {

enum class DType : int { kFloat32, kBFloat16, kFloat16, kFloat64 };
constexpr int kUnsupported = -1;

/// y = channels-first LayerNorm of x; mean and rstd receive N * H * W values.
using LayerNormForward = int(DType dtype, const void* x, const void* weight, const void* bias, void* y, void* mean,
                             void* rstd, const ChannelLayout& layout, double eps, void* stream);
/// dx (laid out as x; dy too) and the [C] weight and bias gradients, summed in two stages in a fixed order
/// (layer_norm_math.h) through `workspace`, ln_param_workspace_size(N * H * W, C) accumulators.
using LayerNormBackward = int(DType dtype, const void* x, const void* dy, const void* weight, const void* mean,
                              const void* rstd, void* dx, void* dweight, void* dbias, void* workspace,
                              const ChannelLayout& layout, void* stream);
/// y = a * (scale * mixed[:, first:first+d]).
using GateForward = int(DType dtype, const void* a, const void* mixed, void* y, const ChannelLayout& a_layout,
                        const ChannelLayout& mixed_layout, const ChannelLayout& y_layout, int64_t first, double scale,
                        void* stream);
/// da (laid out as dy) and the step's channels of dmixed (laid out as mixed).
using GateBackward = int(DType dtype, const void* a, const void* mixed, const void* dy, void* da, void* dmixed,
                         const ChannelLayout& a_layout, const ChannelLayout& mixed_layout,
                         const ChannelLayout& grad_layout, int64_t first, double scale, void* stream);
/// out = spectrum * weight, [N, C, F] and [C, F] complex values as pairs.
using SpectrumWeightForward = int(DType dtype, const void* spectrum, const void* weight, void* out,
                                  const SpectrumShape& shape, void* stream);
/// dspectrum and dweight (summed over the batch in order).
using SpectrumWeightBackward = int(DType dtype, const void* spectrum, const void* weight, const void* dout,
                                   void* dspectrum, void* dweight, const SpectrumShape& shape, void* stream);
/// y = LayerNorm of local and global interleaved (channel 2k local k, 2k + 1 global k), all in `dtype`.
using InterleavedNormForward = int(DType dtype, const void* local, const void* global, const void* weight,
                                   const void* bias, void* y, void* mean, void* rstd,
                                   const ChannelLayout& local_layout, const ChannelLayout& global_layout,
                                   const ChannelLayout& y_layout, double eps, void* stream);
/// dlocal and dglobal (laid out as local and global; dy as y) and the [2c] weight and bias gradients, summed as
/// LayerNormBackward's through `workspace`.
using InterleavedNormBackward = int(DType dtype, const void* local, const void* global, const void* dy,
                                    const void* weight, const void* mean, const void* rstd, void* dlocal,
                                    void* dglobal, void* dweight, void* dbias, void* workspace,
                                    const ChannelLayout& local_layout,
                                    const ChannelLayout& global_layout, const ChannelLayout& y_layout, void* stream);

struct Launchers {
  const char* name;
  LayerNormForward* layer_norm_forward;
  LayerNormBackward* layer_norm_backward;
  GateForward* gate_forward;
  GateBackward* gate_backward;
  SpectrumWeightForward* spectrum_weight_forward;
  SpectrumWeightBackward* spectrum_weight_backward;
  InterleavedNormForward* interleaved_norm_forward;
  InterleavedNormBackward* interleaved_norm_backward;
};

// The CUDA launchers (layer_norm.cu, gating.cu, global_filter.cu).
LayerNormForward layer_norm_forward_cuda;
LayerNormBackward layer_norm_backward_cuda;
GateForward gate_forward_cuda;
GateBackward gate_backward_cuda;
SpectrumWeightForward spectrum_weight_forward_cuda;
SpectrumWeightBackward spectrum_weight_backward_cuda;
InterleavedNormForward interleaved_norm_forward_cuda;
InterleavedNormBackward interleaved_norm_backward_cuda;

/// The CPU launchers (float32, bf16, fp16 and float64).
const Launchers& cpu_launchers();

/// The CUDA launchers (float32, bf16, fp16), defined in CUDA builds only.
const Launchers& cuda_launchers();

}  // namespace hornet::ops::kernels

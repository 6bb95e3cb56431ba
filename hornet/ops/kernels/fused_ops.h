// hornet's fused gnConv ops: autograd functions over the kernels of the
// tensors' device (launch.h). On CUDA builds a CUDA tensor runs the CUDA
// kernels; a CPU tensor runs their CPU twin (float32, bf16, fp16 and
// float64), which is how the kernels' arithmetic and type handling are tested
// on machines without a GPU.
//
// Types: activations of one op share a type, except autocast's pairs (bf16 or
// fp16 with float32), which are computed in float32 as the composite path's
// promotion would; other mixes are refused with an error naming both types.
// Weights and biases are converted to the accumulation type (float, or double
// for double activations), and gradients are returned in each input's type.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace hornet::ops::kernels {

/// Whether this build has fused kernels for `device` (the CPU twin always; CUDA in CUDA builds).
bool fused_kernels_available(const c10::Device& device);

/// When the model uses the fused ops, process-wide (runtime.fused_kernels):
enum class FusedMode {
  kAuto,    ///< on CUDA tensors when the build has the kernels; never on the CPU (its own kernels are faster)
  kOff,     ///< never: the composite LibTorch path everywhere
  kAlways,  ///< wherever kernels exist, the CPU twin included (tests of the wiring, in every type)
};
void set_fused_mode(FusedMode mode);
FusedMode fused_mode();
/// Whether the model should run the fused ops on `t` under the current mode.
bool use_fused(const at::Tensor& t);

/// x [N, C, H, W] (NCHW or channels-last), weight and bias [C] -> the
/// channels-first LayerNorm, laid out as x.
at::Tensor fused_layer_norm_channels_first(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                           double eps);

/// gnConv's gating chain y_0 = pwa * (s * g_0), y_i = proj_i(y_{i-1}) * (s * g_i) with g = split(mixed, dims):
/// pwa [N, dims[0], H, W] (a channel slice is fine), mixed [N, sum(dims), H, W] (the depthwise or GF output
/// before scaling), weights[i] [dims[i+1], dims[i], 1, 1] and biases[i] of the 1x1 projections (kept as matrix
/// products, run by LibTorch, under autocast in its type). Returns the last y (proj_out's input), in the chain's
/// type: pwa's and mixed's, or float32 for autocast's pairs.
at::Tensor fused_gnconv_gating(const at::Tensor& pwa, const at::Tensor& mixed, const std::vector<at::Tensor>& weights,
                               const std::vector<at::Tensor>& biases, const std::vector<int64_t>& dims, double scale);

/// spectrum [N, C, Hf, Wf, 2] and weight [C, Hf, Wf, 2] as (real, imaginary) pairs -> their complex product.
at::Tensor fused_spectrum_weight(const at::Tensor& spectrum, const at::Tensor& weight);

/// local and global [N, c, H, W], weight and bias [2c] -> the channels-first LayerNorm of their interleave
/// (channel 2k local k, 2k + 1 global k), [N, 2c, H, W] in local's memory format and both inputs' promoted type.
at::Tensor fused_interleaved_norm(const at::Tensor& local, const at::Tensor& global, const at::Tensor& weight,
                                  const at::Tensor& bias, double eps);

}  // namespace hornet::ops::kernels

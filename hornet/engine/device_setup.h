// How a run uses its device: mixed precision, the memory format and CUDA's
// math switches, from the config's values with "auto" resolved for the device.
//
//   runtime.amp: auto | off | bf16 | fp16   auto: bf16 on CUDA devices that
//       have it (compute capability 8.0+), else off; fp16 (CUDA only) adds
//       the dynamic loss scaler.
//   runtime.channels_last: auto | true | false   auto: on CUDA (cuDNN's fast
//       convolutions are NHWC), off on the CPU.
//   runtime.tf32: true        float32 matrix products and convolutions may
//       use TF32 tensor cores (CUDA; Ampere and later).
//   runtime.cudnn_benchmark: true   cuDNN times its algorithms for each new
//       input shape and keeps the fastest (training shapes are fixed).
//   runtime.activation_checkpointing: false   true recomputes each block in
//       the backward pass instead of storing its activations.
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/models/classifier.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace hornet::engine {

enum class AmpMode { kOff, kBf16, kFp16 };

/// "auto", "off", "bf16" or "fp16" for `device`; fp16 off CUDA, or an unknown
/// name, is std::invalid_argument.
AmpMode resolve_amp(const std::string& text, const torch::Device& device);
/// The autocast type of a mode (Undefined for kOff).
c10::ScalarType autocast_type(AmpMode amp);
const char* amp_name(AmpMode amp);

struct DeviceSetup {
  torch::Device device{torch::kCPU};
  AmpMode amp = AmpMode::kOff;
  bool channels_last = false;
  bool tf32 = false;
  bool cudnn_benchmark = false;
  bool grad_checkpointing = false;
  /// "amp bf16, channels-last, TF32, cuDNN benchmark" (what applies to the device).
  std::string str() const;
};

/// The run's settings on `device` (runtime.device resolved by the caller).
DeviceSetup resolve_device_setup(const config::RuntimeConfig& runtime, const torch::Device& device);

/// Sets the process-wide TF32 and cuDNN-benchmark switches (CUDA only: CPU
/// arithmetic is unaffected).
void apply_math_switches(const DeviceSetup& setup);

/// Whether CUDA device `index` computes in bfloat16 natively (8.0+).
bool cuda_supports_bf16(int index);

/// Converts the convolution weights to channels-last strides in place;
/// shapes, values and parameter identities stay.
void convert_to_channels_last(torch::nn::Module& module);

/// Puts `model` on the setup's device, in its memory format, with its
/// activation checkpointing.
void place_model(models::ImageClassifierImpl& model, const DeviceSetup& setup);

}  // namespace hornet::engine

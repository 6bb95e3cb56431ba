// How a run uses its device: mixed precision, the memory format, CUDA's math
// switches and activation checkpointing, from the runtime section's values
// (their meaning: the key table, config/experiment.cpp) with "auto" resolved
// for the device.
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/models/classifier.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace hornet::engine {

enum class AmpMode { kOff, kBf16, kFp16 };

/// The configured setting on `device`: auto is bf16 on CUDA devices that have
/// it, else off; fp16 off CUDA is std::invalid_argument.
AmpMode resolve_amp(config::AmpSetting setting, const torch::Device& device);
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

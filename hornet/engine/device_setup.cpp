#include "hornet/engine/device_setup.h"

#include "hornet/common/cuda_device.h"
#include "hornet/models/primitives.h"

#include <ATen/Context.h>

#include <stdexcept>

namespace hornet::engine {

AmpMode resolve_amp(config::AmpSetting setting, const torch::Device& device) {
  switch (setting) {
    case config::AmpSetting::kOff:
      return AmpMode::kOff;
    case config::AmpSetting::kBf16:
      return AmpMode::kBf16;
    case config::AmpSetting::kFp16:
      if (!device.is_cuda())
        throw std::invalid_argument("fp16 autocast needs a CUDA device (use bf16 on the CPU)");
      return AmpMode::kFp16;
    case config::AmpSetting::kAuto:
      break;
  }
  // The CPU's bf16 is emulated in most kernels and slower than float32.
  if (!device.is_cuda()) return AmpMode::kOff;
  return cuda_supports_bf16(device.has_index() ? device.index() : 0) ? AmpMode::kBf16 : AmpMode::kOff;
}

c10::ScalarType autocast_type(AmpMode amp) {
  switch (amp) {
    case AmpMode::kBf16: return torch::kBFloat16;
    case AmpMode::kFp16: return torch::kFloat16;
    case AmpMode::kOff: break;
  }
  return c10::ScalarType::Undefined;
}

const char* amp_name(AmpMode amp) {
  switch (amp) {
    case AmpMode::kBf16: return "bf16";
    case AmpMode::kFp16: return "fp16";
    case AmpMode::kOff: break;
  }
  return "off";
}

std::string DeviceSetup::str() const {
  std::string s = std::string("amp ") + amp_name(amp);
  if (channels_last) s += ", channels-last";
  if (device.is_cuda()) {
    s += tf32 ? ", TF32" : ", no TF32";
    if (cudnn_benchmark) s += ", cuDNN benchmark";
  }
  if (grad_checkpointing) s += ", activation checkpointing";
  return s;
}

DeviceSetup resolve_device_setup(const config::RuntimeConfig& runtime, const torch::Device& device) {
  common::check_device_usable(device, config::keys::kRuntimeDevice);
  DeviceSetup s;
  s.device = device;
  s.amp = resolve_amp(runtime.amp, device);
  s.channels_last = runtime.channels_last == config::ChannelsLast::kAuto
                        ? device.is_cuda()
                        : runtime.channels_last == config::ChannelsLast::kTrue;
  s.tf32 = runtime.tf32;
  s.cudnn_benchmark = runtime.cudnn_benchmark;
  s.grad_checkpointing = runtime.activation_checkpointing;
  return s;
}

void apply_math_switches(const DeviceSetup& setup) {
  auto& context = at::globalContext();
  context.setAllowTF32CuBLAS(setup.tf32);
  context.setAllowTF32CuDNN(setup.tf32);
  context.setBenchmarkCuDNN(setup.cudnn_benchmark);
}

bool cuda_supports_bf16(int index) { return common::cuda_device_info(index).major >= 8; }

void convert_to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& m : module.modules()) {
    if (auto* conv = dynamic_cast<models::Conv2dImpl*>(m.get())) {
      conv->weight.set_data(conv->weight.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

void place_model(models::ImageClassifierImpl& model, const DeviceSetup& setup) {
  model.to(setup.device);
  if (setup.channels_last) convert_to_channels_last(model);
  model.backbone->set_grad_checkpointing(setup.grad_checkpointing);
}

}  // namespace hornet::engine

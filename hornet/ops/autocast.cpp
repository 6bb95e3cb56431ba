#include "hornet/ops/autocast.h"

#include "hornet/common/torch_compat.h"

#include <ATen/autocast_mode.h>

#include <stdexcept>
#include <string>

namespace hornet::ops {

namespace {

void check_device(c10::DeviceType device) {
  if (device != c10::DeviceType::CPU && device != c10::DeviceType::CUDA) {
    throw std::invalid_argument(std::string("autocast: unsupported device type ") +
                                c10::DeviceTypeName(device) + " (expected cpu or cuda)");
  }
}

#if HORNET_TORCH_HAS_DEVICE_AUTOCAST_API
bool is_enabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_enabled(c10::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
c10::ScalarType get_dtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_dtype(c10::DeviceType d, c10::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool is_enabled(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
}
void set_enabled(c10::DeviceType d, bool on) {
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_enabled(on);
  }
}
c10::ScalarType get_dtype(c10::DeviceType d) {
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                   : at::autocast::get_autocast_gpu_dtype();
}
void set_dtype(c10::DeviceType d, c10::ScalarType t) {
  if (d == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(t);
  } else {
    at::autocast::set_autocast_gpu_dtype(t);
  }
}
#endif

}  // namespace

bool autocast_enabled(c10::DeviceType device) {
  check_device(device);
  return is_enabled(device);
}

c10::ScalarType autocast_dtype(c10::DeviceType device) {
  check_device(device);
  return get_dtype(device);
}

AutocastGuard::AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool enabled)
    : device_(device), prev_enabled_(false), prev_dtype_(dtype) {
  check_device(device);
  prev_enabled_ = is_enabled(device);
  prev_dtype_ = get_dtype(device);
  set_enabled(device, enabled);
  set_dtype(device, dtype);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(device_, prev_enabled_);
  set_dtype(device_, prev_dtype_);
}

}  // namespace hornet::ops

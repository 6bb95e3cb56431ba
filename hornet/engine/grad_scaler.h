// Dynamic loss scaling for fp16 training (PyTorch's GradScaler algorithm):
// the loss is multiplied by `scale` before backward; the gradients are
// unscaled and checked; a step with non-finite gradients is skipped and the
// scale halved; after `growth_interval` good steps in a row it doubles.
//
// On CUDA the fused ATen AMP ops do the work; LibTorch 1.13 has no CPU kernels
// for them, so the CPU path does the same with plain tensor ops.
#pragma once

#include <torch/types.h>

#include <vector>

namespace hornet::engine {

struct GradScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  explicit GradScaler(const GradScalerOptions& options = {}, bool enabled = true);

  torch::Tensor scale(const torch::Tensor& loss);
  /// Divides the gradients by the scale in place; true when all are finite
  /// (always true, without touching them, when the scaler is disabled).
  bool unscale(const std::vector<torch::Tensor>& params);
  /// Adjusts the scale after a step: back off after non-finite gradients,
  /// grow after growth_interval finite ones in a row.
  void update(bool found_finite);

  bool enabled() const { return enabled_; }
  double current_scale() const { return scale_; }
  int64_t growth_tracker() const { return tracker_; }
  void load(double scale, int64_t tracker) {
    scale_ = scale;
    tracker_ = tracker;
  }

 private:
  GradScalerOptions o_;
  bool enabled_;
  double scale_;
  int64_t tracker_ = 0;
};

}  // namespace hornet::engine

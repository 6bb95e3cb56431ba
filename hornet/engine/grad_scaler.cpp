#include "hornet/engine/grad_scaler.h"

#include <ATen/ATen.h>

namespace hornet::engine {

GradScaler::GradScaler(const GradScalerOptions& options, bool enabled)
    : o_(options), enabled_(enabled), scale_(options.init_scale) {}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) { return enabled_ ? loss * scale_ : loss; }

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  // Without scaling there is nothing to undo; finiteness is then checked
  // through the loss and, when clipping, the gradient norm.
  if (!enabled_) return true;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return true;
  const double inv = 1.0 / scale_;
  torch::NoGradGuard no_grad;
  if (grads[0].is_cuda()) {
    auto found_inf = torch::zeros({1}, grads[0].options().dtype(torch::kFloat32));
    auto inv_scale = torch::full({1}, inv, grads[0].options().dtype(torch::kFloat32));
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
    return found_inf.item<float>() == 0.0f;
  }
  bool finite = true;
  for (auto& g : grads) {
    g.mul_(inv);
    finite = finite && torch::isfinite(g).all().item<bool>();
  }
  return finite;
}

void GradScaler::update(bool found_finite) {
  if (!enabled_) return;
  if (!found_finite) {
    scale_ *= o_.backoff_factor;
    tracker_ = 0;
    return;
  }
  if (++tracker_ >= o_.growth_interval) {
    scale_ *= o_.growth_factor;
    tracker_ = 0;
  }
}

}  // namespace hornet::engine

#include "hornet/ops/recompute.h"

#include "hornet/ops/autocast.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>
#include <optional>

namespace hornet::ops {

namespace {

// What the backward pass needs to run the function again as the first time.
struct Recompute : torch::CustomClassHolder {
  std::function<torch::Tensor(const torch::Tensor&)> fn;
  torch::Tensor cpu_rng;  ///< the CPU generator's state before the first run
  c10::DeviceType device = c10::DeviceType::CPU;
  bool autocast = false;
  c10::ScalarType autocast_type = c10::ScalarType::Undefined;
};

torch::Tensor generator_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const c10::intrusive_ptr<Recompute>& recompute) {
    ctx->save_for_backward({x});
    ctx->saved_data["recompute"] = c10::IValue::make_capsule(recompute);
    return recompute->fn(x);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto recompute = ctx->saved_data["recompute"].toCapsule();
    auto& r = static_cast<Recompute&>(*recompute);
    auto x = saved[0].detach().requires_grad_(true);
    torch::Tensor y;
    {
      // The forward pass's random draws again, then the generator goes on from where it is now.
      const auto now = generator_state();
      set_generator_state(r.cpu_rng);
      torch::AutoGradMode grad_on(true);
      std::optional<AutocastGuard> amp;
      if (r.autocast) amp.emplace(r.device, r.autocast_type);
      y = r.fn(x);
      set_generator_state(now);
    }
    torch::autograd::backward({y}, {grads[0]});
    return {x.grad(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor recompute_in_backward(std::function<torch::Tensor(const torch::Tensor&)> fn, const torch::Tensor& x) {
  if (!torch::GradMode::is_enabled()) return fn(x);
  auto r = c10::make_intrusive<Recompute>();
  r->fn = std::move(fn);
  r->cpu_rng = generator_state();
  r->device = x.device().type();
  r->autocast = autocast_enabled(r->device);
  if (r->autocast) r->autocast_type = autocast_dtype(r->device);
  return CheckpointFunction::apply(x, r);
}

}  // namespace hornet::ops

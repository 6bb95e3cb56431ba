// Parameter groups, layer decay and LR schedules (official optim_factory.py and
// utils.cosine_scheduler; mmpretrain's LinearLR + CosineAnnealingLR).
#include "hornet/engine/optimizer.h"

#include "hornet/common/torch_compat.h"

#include <torch/nn/module.h>

#include <cmath>
#include <map>
#include <stdexcept>

namespace hornet::engine {

int layer_id(const std::string& full_name) {
  const std::string name = full_name.rfind("backbone.", 0) == 0 ? full_name.substr(9) : full_name;
  const auto field = [&](int k) {
    size_t start = 0;
    for (int i = 0; i < k; ++i) start = name.find('.', start) + 1;
    return std::stoi(name.substr(start, name.find('.', start) - start));
  };
  if (name.rfind("downsample_layers.", 0) == 0) {
    const int stage = field(1);
    return stage == 0 ? 0 : (stage == 3 ? 12 : stage + 1);
  }
  if (name.rfind("stages.", 0) == 0) {
    const int stage = field(1), block = field(2);
    if (stage <= 1) return stage + 1;
    if (stage == 2) return std::min(3 + block / 2, 11);
    return 12;
  }
  return 13;
}

void Optimizer::set_lr(double lr) {
  auto& param_groups = adamw->param_groups();
  for (size_t k = 0; k < param_groups.size(); ++k) {
    static_cast<torch::optim::AdamWOptions&>(param_groups[k].options()).lr(lr * groups[k].lr_scale);
  }
}

namespace {
// One group's tensors whose steps agree (all of them, unless a parameter
// missed a step's gradient).
struct StepLists {
  std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq;
};
}  // namespace

void Optimizer::step() {
  torch::NoGradGuard no_grad;
  auto& state = adamw->state();
  for (auto& group : adamw->param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    if (o.amsgrad()) throw std::logic_error("Optimizer::step: amsgrad is not supported");
    std::map<int64_t, StepLists> by_step;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto key = common::optimizer_state_key(p);
      auto it = state.find(key);
      if (it == state.end()) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state.emplace(key, std::move(fresh)).first;
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
      st.step(st.step() + 1);
      auto& lists = by_step[st.step()];
      lists.params.push_back(p);
      lists.grads.push_back(p.grad());
      lists.exp_avg.push_back(st.exp_avg());
      lists.exp_avg_sq.push_back(st.exp_avg_sq());
    }
    const auto [beta1, beta2] = o.betas();
    for (auto& [step, l] : by_step) {
      if (o.weight_decay() != 0) at::_foreach_mul_(l.params, 1 - o.lr() * o.weight_decay());
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      at::_foreach_mul_(l.exp_avg, beta1);
      at::_foreach_add_(l.exp_avg, l.grads, 1 - beta1);
      at::_foreach_mul_(l.exp_avg_sq, beta2);
      at::_foreach_addcmul_(l.exp_avg_sq, l.grads, l.grads, 1 - beta2);
      auto denom = at::_foreach_sqrt(l.exp_avg_sq);
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, o.eps());
      at::_foreach_addcdiv_(l.params, l.exp_avg, denom, -(o.lr() / bias_correction1));
    }
  }
}

void Optimizer::clear_grads() {
  for (auto& group : adamw->param_groups()) {
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
  }
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  const auto norms = at::_foreach_norm(grads, 2);
  const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  // The factor in the gradients' precision, as clip_grad_norm_ computes it;
  // a factor of 1 leaves them as they are.
  const double factor = torch::clamp_max(max_norm / (total + 1e-6), 1.0).item<double>();
  if (factor < 1.0) at::_foreach_mul_(grads, factor);
  return total.item<double>();
}

Optimizer make_optimizer(torch::nn::Module& module, const config::OptimConfig& c) {
  // Groups in first-seen order, like the official dict-based grouping.
  std::vector<ParamGroup> groups;
  std::vector<std::vector<torch::Tensor>> tensors;
  std::map<std::string, size_t> index;
  for (const auto& p : module.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    const std::string& name = p.key();
    const bool no_decay = p.value().dim() == 1 || (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0);
    const int id = layer_id(name);
    const std::string group = "layer_" + std::to_string(id) + (no_decay ? "_no_decay" : "_decay");
    auto it = index.find(group);
    if (it == index.end()) {
      it = index.emplace(group, groups.size()).first;
      ParamGroup g;
      g.name = group;
      g.weight_decay = no_decay ? 0.0 : c.weight_decay;
      g.lr_scale = c.layer_decay == 1.0 ? 1.0 : std::pow(c.layer_decay, 13 - id);
      groups.push_back(g);
      tensors.emplace_back();
    }
    groups[it->second].params.push_back(name);
    tensors[it->second].push_back(p.value());
  }
  if (groups.empty()) throw std::invalid_argument("optimizer: the model has no trainable parameters");
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (size_t k = 0; k < groups.size(); ++k) {
    auto options = std::make_unique<torch::optim::AdamWOptions>(c.lr * groups[k].lr_scale);
    options->betas({c.betas.first, c.betas.second}).eps(c.eps).weight_decay(groups[k].weight_decay);
    param_groups.emplace_back(tensors[k], std::move(options));
  }
  Optimizer out;
  out.adamw = std::make_unique<torch::optim::AdamW>(param_groups, torch::optim::AdamWOptions(c.lr));
  out.groups = std::move(groups);
  return out;
}

double scaled_lr(const config::OptimConfig& c, int64_t total_batch) {
  return c.base_batch_size > 0 ? c.lr * static_cast<double>(total_batch) / static_cast<double>(c.base_batch_size)
                               : c.lr;
}

LrSchedule::LrSchedule(const config::ScheduleConfig& c, double lr, int64_t steps_per_epoch)
    : c_(c), lr_(lr), steps_per_epoch_(steps_per_epoch) {
  if (steps_per_epoch < 1) throw std::invalid_argument("LR schedule: an epoch needs at least one step");
  warmup_ = static_cast<int64_t>(c.warmup_epochs * steps_per_epoch);
  total_ = c.epochs * steps_per_epoch;
}

double LrSchedule::at(int64_t step) const {
  const double start = lr_ * c_.warmup_start_factor;
  if (step < warmup_) {
    if (c_.by_epoch) return start + (lr_ - start) * static_cast<double>(step) / static_cast<double>(warmup_);
    // numpy.linspace(start, lr, warmup): both ends included.
    return warmup_ == 1 ? start : start + (lr_ - start) * static_cast<double>(step) / static_cast<double>(warmup_ - 1);
  }
  const auto cosine = [&](double i, double n) {
    return c_.min_lr + 0.5 * (lr_ - c_.min_lr) * (1.0 + std::cos(M_PI * i / n));
  };
  if (c_.by_epoch) {
    const double warmup_epochs = std::ceil(c_.warmup_epochs);
    const double epoch = std::floor(static_cast<double>(step) / static_cast<double>(steps_per_epoch_));
    const double span = static_cast<double>(c_.epochs) - warmup_epochs;
    return span <= 0 ? lr_ : cosine(std::max(0.0, epoch - warmup_epochs), span);
  }
  const int64_t span = total_ - warmup_;
  return span <= 0 ? lr_ : cosine(static_cast<double>(std::min(step, total_ - 1) - warmup_), static_cast<double>(span));
}

}  // namespace hornet::engine

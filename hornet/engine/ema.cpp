#include "hornet/engine/ema.h"

#include "hornet/io/state_dict.h"

namespace hornet::engine {

ModelEma::ModelEma(const models::ImageClassifier& model, double decay) : decay_(decay) {
  ema_ = models::ImageClassifier(std::dynamic_pointer_cast<models::ImageClassifierImpl>(model->clone()));
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
  ema_->eval();
}

void ModelEma::update(const models::ImageClassifier& model) {
  torch::NoGradGuard no_grad;
  const auto source = io::state_dict(*model);
  const auto target = io::state_dict(*ema_);
  if (!target.empty() && target.begin()->second.is_cuda()) {
    // On the GPU, two multi-tensor kernels instead of four launches per tensor
    // (ema * decay + (1 - decay) * w, rounded once less than timm's expression).
    std::vector<torch::Tensor> emas, weights;
    for (const auto& [name, ema] : target) {
      emas.push_back(ema);
      weights.push_back(source.at(name).detach());
    }
    at::_foreach_mul_(emas, decay_);
    at::_foreach_add_(emas, weights, 1.0 - decay_);
    return;
  }
  for (const auto& [name, ema] : target) {
    // The same expression timm evaluates, so results match to the last bit.
    ema.copy_(ema * decay_ + (1.0 - decay_) * source.at(name).detach());
  }
}

}  // namespace hornet::engine

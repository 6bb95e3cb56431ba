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
  for (auto& [name, ema] : io::state_dict(*ema_)) {
    // The same expression timm evaluates, so results match to the last bit.
    ema.copy_(ema * decay_ + (1.0 - decay_) * source.at(name).detach());
  }
}

}  // namespace hornet::engine

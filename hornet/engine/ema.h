// Exponential moving average of a model's weights (timm's ModelEma, which the
// official recipe uses): after each update, for every parameter and buffer,
//   ema = decay * ema + (1 - decay) * weights.
#pragma once

#include "hornet/models/classifier.h"

namespace hornet::engine {

class ModelEma {
 public:
  /// Starts as a copy of `model`.
  ModelEma(const models::ImageClassifier& model, double decay);
  void update(const models::ImageClassifier& model);
  models::ImageClassifier& module() { return ema_; }
  const models::ImageClassifier& module() const { return ema_; }
  double decay() const { return decay_; }

 private:
  models::ImageClassifier ema_{nullptr};
  double decay_;
};

}  // namespace hornet::engine

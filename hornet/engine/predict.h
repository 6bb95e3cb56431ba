// Classifying image files with a model: the evaluation preprocessing, one
// batch, softmax, top-k.
#pragma once

#include "hornet/data/pipeline.h"
#include "hornet/models/classifier.h"

#include <string>
#include <vector>

namespace hornet::engine {

struct Prediction {
  std::string path;
  std::vector<int64_t> classes;        ///< top-k class indices, best first
  std::vector<double> probabilities;   ///< their softmax probabilities
};

struct PredictResult {
  torch::Tensor logits;  ///< float32 [N, num_classes], in the order of the paths
  std::vector<Prediction> predictions;
};

/// Runs `paths` through the evaluation pipeline `preprocess` and `model` (in
/// evaluation mode, on the model's device). Throws for unreadable images,
/// naming the file.
PredictResult predict(models::ImageClassifierImpl& model, const std::vector<std::string>& paths,
                      const data::EvalPipelineOptions& preprocess, int topk = 5);

/// "path: 1. name 0.873  2. name 0.051 ..." lines, with `class_names` when given.
std::string format_predictions(const std::vector<Prediction>& predictions,
                               const std::vector<std::string>& class_names = {});

}  // namespace hornet::engine

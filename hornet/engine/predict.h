// Image files through a model: the evaluation preprocessing in batches, then
// classes (softmax, top-k; output as text lines or JSON) or backbone features.
#pragma once

#include "hornet/data/pipeline.h"
#include "hornet/models/classifier.h"

#include <functional>
#include <string>
#include <vector>

namespace hornet::engine {

struct Prediction {
  std::string path;
  std::vector<int64_t> classes;        ///< top-k class indices, best first
  std::vector<double> probabilities;   ///< their softmax probabilities
};

struct SkippedImage {
  std::string path;
  std::string reason;
};

struct PredictResult {
  torch::Tensor logits;  ///< float32 [N, num_classes], a row per prediction, in their order
  std::vector<Prediction> predictions;
  std::vector<SkippedImage> skipped;  ///< files that could not be read or decoded
};

/// The image files `inputs` name: files as given, folders replaced by the
/// image files below them (recursively, sorted, hidden entries skipped).
/// Throws std::invalid_argument for a path that does not exist and for a
/// folder without images.
std::vector<std::string> expand_image_paths(const std::vector<std::string>& inputs);

/// Reads `paths` through the evaluation pipeline `preprocess`, `batch_size` at
/// a time, and hands each batch (uint8 [n, 3, H, W] on the CPU) with the paths
/// it holds to `consume`. An image that cannot be read or decoded is added to
/// `skipped` with its reason; when none can be, throws std::runtime_error
/// naming the first failure.
using ImageBatchFn = std::function<void(const torch::Tensor& images, const std::vector<std::string>& paths)>;
void for_each_image_batch(const std::vector<std::string>& paths, const data::EvalPipelineOptions& preprocess,
                          int64_t batch_size, std::vector<SkippedImage>& skipped,
                          const ImageBatchFn& consume);

/// Runs `paths` through the evaluation pipeline `preprocess` and `model` (in
/// evaluation mode, on the model's device), `batch_size` images at a time. An
/// image that cannot be read or decoded is skipped and listed with its reason;
/// when none can be, throws std::runtime_error naming the first failure.
/// `autocast`: the forward's mixed-precision type (Undefined: full precision).
PredictResult predict(models::ImageClassifierImpl& model, const std::vector<std::string>& paths,
                      const data::EvalPipelineOptions& preprocess, int topk = 5, int64_t batch_size = 32,
                      c10::ScalarType autocast = c10::ScalarType::Undefined);

struct FeatureResult {
  std::vector<torch::Tensor> features;  ///< float32 [N, C_i, H_i, W_i] per out index, rows in `paths` order
  std::vector<std::string> paths;
  std::vector<SkippedImage> skipped;
};

/// The backbone's out_indices maps of `paths` (evaluation pipeline, then the
/// backbone in evaluation mode on its device), as for_each_image_batch reads them.
FeatureResult extract_features(models::HorNetImpl& backbone, const std::vector<std::string>& paths,
                               const data::EvalPipelineOptions& preprocess, int64_t batch_size = 32,
                               c10::ScalarType autocast = c10::ScalarType::Undefined);

/// "path:  1. name 0.8730  2. name 0.0510 ..." lines, with `class_names` when given.
std::string format_predictions(const std::vector<Prediction>& predictions,
                               const std::vector<std::string>& class_names = {});

/// {"predictions": [{"path", "classes", "names", "scores"}], "skipped": [{"path", "reason"}]}
std::string predictions_json(const PredictResult& result, const std::vector<std::string>& class_names = {});

/// The class names to print for a model with `num_classes` outputs: those of
/// `names_file` (whose line count must equal `num_classes`, else
/// std::invalid_argument), else `fallback` (from the checkpoint or config).
std::vector<std::string> choose_class_names(const std::string& names_file, int64_t num_classes,
                                            std::vector<std::string> fallback = {});

}  // namespace hornet::engine

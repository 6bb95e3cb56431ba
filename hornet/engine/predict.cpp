#include "hornet/engine/predict.h"

#include "hornet/data/batch_transforms.h"
#include "hornet/data/dataset.h"
#include "hornet/data/image_tensor.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"
#include "hornet/ops/autocast.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

namespace hornet::engine {

namespace fs = std::filesystem;

std::vector<std::string> expand_image_paths(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      auto files = data::list_image_files(input);
      if (files.empty()) throw std::invalid_argument(input + ": the folder holds no image files");
      paths.insert(paths.end(), std::make_move_iterator(files.begin()), std::make_move_iterator(files.end()));
    } else if (fs::exists(input, ec)) {
      paths.push_back(input);
    } else {
      throw std::invalid_argument(input + ": no such file or folder");
    }
  }
  if (paths.empty()) throw std::invalid_argument("predict: no images given");
  return paths;
}

namespace {

std::string class_name(int64_t c, const std::vector<std::string>& names) {
  return c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : std::to_string(c);
}

}  // namespace

void for_each_image_batch(const std::vector<std::string>& paths, const data::EvalPipelineOptions& preprocess,
                          int64_t batch_size, std::vector<SkippedImage>& skipped,
                          const ImageBatchFn& consume) {
  if (paths.empty()) throw std::invalid_argument("no images given");
  if (batch_size < 1) throw std::invalid_argument("the batch size must be at least 1");
  const auto transform = data::make_eval_transform(preprocess);
  const int64_t h = transform->height(), w = transform->width();
  data::Rng rng;
  for (size_t begin = 0; begin < paths.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(paths.size(), begin + static_cast<size_t>(batch_size));
    auto batch = torch::empty({static_cast<int64_t>(end - begin), 3, h, w}, torch::kUInt8);
    std::vector<std::string> read;
    for (size_t k = begin; k < end; ++k) {
      try {
        data::DecodeInfo info;
        const cv::Mat img = transform->apply(io::read_file(paths[k]), rng, &info);
        if (!info.warning.empty()) spdlog::warn("{}: decoded with a warning: {}", paths[k], info.warning);
        data::copy_to_chw(img, batch.data_ptr<uint8_t>() + static_cast<int64_t>(read.size()) * 3 * h * w);
        read.push_back(paths[k]);
      } catch (const std::exception& e) {
        skipped.push_back({paths[k], e.what()});
      }
    }
    if (!read.empty()) consume(batch.narrow(0, 0, static_cast<int64_t>(read.size())), read);
  }
  if (!skipped.empty() && skipped.size() == paths.size()) {
    throw std::runtime_error(
        "no image could be read: " + skipped.front().path + ": " + skipped.front().reason +
        (skipped.size() > 1 ? " (and " + std::to_string(skipped.size() - 1) + " more)" : ""));
  }
}

PredictResult predict(models::ImageClassifierImpl& model, const std::vector<std::string>& paths,
                      const data::EvalPipelineOptions& preprocess, int topk, int64_t batch_size,
                      c10::ScalarType autocast) {
  const torch::Tensor reference = model.parameters().front();
  model.eval();
  torch::NoGradGuard no_grad;
  PredictResult out;
  std::vector<torch::Tensor> logits;
  for_each_image_batch(
      paths, preprocess, batch_size, out.skipped,
      [&](const torch::Tensor& images, const std::vector<std::string>& read) {
        torch::Tensor z;
        {
          std::optional<ops::AutocastGuard> amp;
          if (autocast != c10::ScalarType::Undefined) amp.emplace(reference.device().type(), autocast);
          z = model.forward(data::normalize(images.to(reference.device()))).to(torch::kCPU, torch::kFloat32);
        }
        const int k = static_cast<int>(std::min<int64_t>(topk, z.size(1)));
        const auto [probs, classes] = torch::softmax(z, 1).topk(k, 1);
        const auto p_acc = probs.to(torch::kFloat64).contiguous();
        const auto c_acc = classes.contiguous();
        for (size_t i = 0; i < read.size(); ++i) {
          Prediction p;
          p.path = read[i];
          for (int j = 0; j < k; ++j) {
            p.classes.push_back(c_acc[static_cast<int64_t>(i)][j].item<int64_t>());
            p.probabilities.push_back(p_acc[static_cast<int64_t>(i)][j].item<double>());
          }
          out.predictions.push_back(std::move(p));
        }
        logits.push_back(z);
      });
  out.logits = torch::cat(logits);
  return out;
}

FeatureResult extract_features(models::HorNetImpl& backbone, const std::vector<std::string>& paths,
                               const data::EvalPipelineOptions& preprocess, int64_t batch_size,
                               c10::ScalarType autocast) {
  const torch::Tensor reference = backbone.parameters().front();
  backbone.eval();
  torch::NoGradGuard no_grad;
  FeatureResult out;
  std::vector<std::vector<torch::Tensor>> parts(backbone.out_indices().size());
  for_each_image_batch(paths, preprocess, batch_size, out.skipped,
                       [&](const torch::Tensor& images, const std::vector<std::string>& read) {
                         std::optional<ops::AutocastGuard> amp;
                         if (autocast != c10::ScalarType::Undefined)
                           amp.emplace(reference.device().type(), autocast);
                         const auto maps = backbone.forward(data::normalize(images.to(reference.device())));
                         for (size_t i = 0; i < maps.size(); ++i)
                           parts[i].push_back(maps[i].to(torch::kCPU, torch::kFloat32));
                         out.paths.insert(out.paths.end(), read.begin(), read.end());
                       });
  for (auto& p : parts) out.features.push_back(torch::cat(p));
  return out;
}

std::string format_predictions(const std::vector<Prediction>& predictions,
                               const std::vector<std::string>& class_names) {
  std::ostringstream os;
  for (const auto& p : predictions) {
    os << p.path << ":";
    for (size_t j = 0; j < p.classes.size(); ++j) {
      char prob[32];
      std::snprintf(prob, sizeof prob, "%.4f", p.probabilities[j]);
      os << "  " << (j + 1) << ". " << class_name(p.classes[j], class_names) << " " << prob;
    }
    os << "\n";
  }
  return os.str();
}

std::string predictions_json(const PredictResult& result, const std::vector<std::string>& class_names) {
  std::ostringstream os;
  os << "{\"predictions\": [";
  for (size_t i = 0; i < result.predictions.size(); ++i) {
    const auto& p = result.predictions[i];
    os << (i ? ",\n  " : "\n  ") << "{\"path\": " << io::json_string(p.path) << ", \"classes\": [";
    for (size_t j = 0; j < p.classes.size(); ++j) os << (j ? ", " : "") << p.classes[j];
    os << "], \"names\": [";
    for (size_t j = 0; j < p.classes.size(); ++j) {
      os << (j ? ", " : "") << io::json_string(class_name(p.classes[j], class_names));
    }
    os << "], \"scores\": [";
    for (size_t j = 0; j < p.probabilities.size(); ++j) os << (j ? ", " : "") << io::json_number(p.probabilities[j], 8);
    os << "]}";
  }
  os << "],\n\"skipped\": [";
  for (size_t i = 0; i < result.skipped.size(); ++i) {
    os << (i ? ",\n  " : "\n  ") << "{\"path\": " << io::json_string(result.skipped[i].path)
       << ", \"reason\": " << io::json_string(result.skipped[i].reason) << "}";
  }
  os << "]}\n";
  return os.str();
}

std::vector<std::string> choose_class_names(const std::string& names_file, int64_t num_classes,
                                            std::vector<std::string> fallback) {
  if (names_file.empty()) return fallback;
  auto names = data::read_class_names(names_file);
  if (static_cast<int64_t>(names.size()) != num_classes) {
    throw std::invalid_argument(names_file + " has " + std::to_string(names.size()) + " class names but the model has " +
                                std::to_string(num_classes) + " outputs");
  }
  return names;
}

}  // namespace hornet::engine

#include "hornet/engine/predict.h"

#include "hornet/data/batch.h"
#include "hornet/data/image_tensor.h"
#include "hornet/io/file_util.h"

#include <cstdio>
#include <sstream>

namespace hornet::engine {

PredictResult predict(models::ImageClassifierImpl& model, const std::vector<std::string>& paths,
                      const data::EvalPipelineOptions& preprocess, int topk) {
  if (paths.empty()) throw std::invalid_argument("predict: no images given");
  const auto transform = data::make_eval_transform(preprocess);
  const int64_t h = transform->height(), w = transform->width();
  auto batch = torch::empty({static_cast<int64_t>(paths.size()), 3, h, w}, torch::kUInt8);
  data::Rng rng;
  for (size_t k = 0; k < paths.size(); ++k) {
    try {
      const cv::Mat img = transform->apply(io::read_file(paths[k]), rng);
      data::copy_to_chw(img, batch.data_ptr<uint8_t>() + static_cast<int64_t>(k) * 3 * h * w);
    } catch (const std::exception& e) {
      throw std::runtime_error(paths[k] + ": " + e.what());
    }
  }
  const torch::Tensor reference = model.parameters().front();
  model.eval();
  torch::NoGradGuard no_grad;
  PredictResult out;
  out.logits = model.forward(data::normalize(batch.to(reference.device()))).to(torch::kCPU);
  const int k = std::min<int64_t>(topk, out.logits.size(1));
  const auto [probs, classes] = torch::softmax(out.logits, 1).topk(k, 1);
  for (size_t i = 0; i < paths.size(); ++i) {
    Prediction p;
    p.path = paths[i];
    for (int j = 0; j < k; ++j) {
      p.classes.push_back(classes[static_cast<int64_t>(i)][j].item<int64_t>());
      p.probabilities.push_back(probs[static_cast<int64_t>(i)][j].item<double>());
    }
    out.predictions.push_back(std::move(p));
  }
  return out;
}

std::string format_predictions(const std::vector<Prediction>& predictions,
                               const std::vector<std::string>& class_names) {
  std::ostringstream os;
  for (const auto& p : predictions) {
    os << p.path << ":";
    for (size_t j = 0; j < p.classes.size(); ++j) {
      const int64_t c = p.classes[j];
      const std::string name = c < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<size_t>(c)]
                                                                            : std::to_string(c);
      char prob[32];
      std::snprintf(prob, sizeof prob, "%.4f", p.probabilities[j]);
      os << "  " << (j + 1) << ". " << name << " " << prob;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace hornet::engine

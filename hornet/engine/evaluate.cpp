#include "hornet/engine/evaluate.h"

#include "hornet/data/batch.h"
#include "hornet/common/cli.h"
#include "hornet/engine/loss.h"
#include "hornet/models/checkpoint.h"

#include <torch/cuda.h>

namespace hornet::engine {

EvalResult evaluate(models::ImageClassifierImpl& model, data::DataLoader& loader, bool keep_logits) {
  const torch::Tensor reference = model.parameters().front();
  const auto device = reference.device();
  model.eval();
  torch::NoGradGuard no_grad;
  EvalResult r;
  int64_t top1 = 0, top5 = 0;
  double loss_sum = 0.0;
  std::vector<torch::Tensor> logits, labels, indices;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const auto images = data::normalize(batch->images.to(device));
    const auto out = model.forward(images).to(torch::kFloat32);
    const auto y = batch->labels.to(device);
    const auto hits = topk_correct(out, y, {1, 5});
    top1 += hits[0];
    top5 += hits[1];
    loss_sum += torch::nn::functional::cross_entropy(out, y, {}).item<double>() * static_cast<double>(y.size(0));
    r.samples += y.size(0);
    if (keep_logits) {
      logits.push_back(out.to(torch::kCPU));
      labels.push_back(batch->labels.clone());
      indices.push_back(batch->indices.clone());
    }
  }
  if (r.samples > 0) {
    r.top1 = 100.0 * static_cast<double>(top1) / static_cast<double>(r.samples);
    r.top5 = 100.0 * static_cast<double>(top5) / static_cast<double>(r.samples);
    r.loss = loss_sum / static_cast<double>(r.samples);
  }
  if (keep_logits && !logits.empty()) {
    r.logits = torch::cat(logits);
    r.labels = torch::cat(labels);
    r.indices = torch::cat(indices);
  }
  return r;
}

models::ImageClassifier load_classifier(const config::ExperimentConfig& c, const std::string& checkpoint,
                                        bool use_ema) {
  const torch::Device device(c.runtime.device);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw std::invalid_argument("runtime.device is " + c.runtime.device + " but CUDA is not available");
  }
  io::TorchFile file(checkpoint);
  const auto weights = io::find_weights(file.root(), use_ema);
  const auto arch = models::arch_for_checkpoint(c.model.arch, models::weight_shapes(weights));
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(c.model.num_classes));
  models::load_weights(*model, file, weights);
  model->to(device);
  return model;
}

EvalResult validate_checkpoint(const config::ExperimentConfig& c, const std::string& checkpoint,
                               const std::string& data, bool use_ema, int64_t batch_size, bool keep_logits) {
  const std::string root = data.empty() ? c.val.dataset.root : data;
  if (root.empty()) throw std::invalid_argument("no validation data: give --data or set data.val.root");
  auto dataset = data::Dataset::open(root, data.empty() ? c.val.dataset.split : "",
                                     data.empty() ? c.val.dataset.data_prefix : "");
  auto model = load_classifier(c, checkpoint, use_ema);
  data::LoaderOptions lo;
  lo.batch_size = batch_size > 0 ? batch_size : c.val.batch_size;
  lo.workers = c.val.workers;
  data::SamplerOptions so;
  so.shuffle = false;
  data::DataLoader loader(std::move(dataset), data::make_eval_transform(c.val.pipeline), so, lo);
  return evaluate(*model, loader, keep_logits);
}

}  // namespace hornet::engine

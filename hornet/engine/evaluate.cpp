#include "hornet/engine/evaluate.h"

#include "hornet/common/allocator.h"
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
  common::keep_freed_memory();
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

data::Dataset open_dataset(const config::DatasetConfig& d) {
  if (d.root.empty()) throw std::invalid_argument("no dataset given (the config's data root is empty)");
  auto dataset = data::Dataset::open(d.root, d.split, d.data_prefix);
  if (!d.class_names.empty()) dataset.set_class_names(d.class_names);
  return dataset;
}

std::unique_ptr<data::DataLoader> make_val_loader(const config::ExperimentConfig& c, data::Dataset dataset,
                                                  int64_t batch_size) {
  data::LoaderOptions lo;
  lo.batch_size = batch_size > 0 ? batch_size : c.val.batch_size;
  lo.workers = c.val.workers;
  lo.pin_memory = c.runtime.device.rfind("cuda", 0) == 0;
  data::SamplerOptions so;
  so.shuffle = false;
  return std::make_unique<data::DataLoader>(std::move(dataset), data::make_eval_transform(c.val.pipeline), so, lo);
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
  config::DatasetConfig source = c.val.dataset;
  if (!data.empty()) source = {data, "", "", c.val.dataset.class_names};
  if (source.root.empty()) throw std::invalid_argument("no validation data: give --data or set data.val.root");
  auto loader = make_val_loader(c, open_dataset(source), batch_size);
  auto model = load_classifier(c, checkpoint, use_ema);
  return evaluate(*model, *loader, keep_logits);
}

}  // namespace hornet::engine

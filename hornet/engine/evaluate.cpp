#include "hornet/engine/evaluate.h"

#include "hornet/common/allocator.h"
#include "hornet/data/batch.h"
#include "hornet/common/cli.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/loss.h"
#include "hornet/models/checkpoint.h"

#include <torch/cuda.h>

namespace hornet::engine {

EvalResult evaluate(models::ImageClassifierImpl& model, data::DataLoader& loader, bool keep_logits,
                    distributed::ProcessGroup* group) {
  if (group && group->size() > 1 && keep_logits) {
    throw std::invalid_argument("evaluate: logits are kept only in a single process");
  }
  const torch::Tensor reference = model.parameters().front();
  const auto device = reference.device();
  model.eval();
  common::keep_freed_memory();
  torch::NoGradGuard no_grad;
  EvalResult r;
  // One row per sample: dataset index, top-1 hit, top-5 hit, cross-entropy.
  std::vector<torch::Tensor> rows, logits, labels, indices;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const auto images = data::normalize(batch->images.to(device));
    const auto out = model.forward(images).to(torch::kFloat32);
    const auto y = batch->labels.to(device);
    const auto hits = topk_hits(out, y, 5);
    const auto loss = torch::nn::functional::cross_entropy(out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    rows.push_back(torch::stack({batch->indices.to(torch::kFloat64), hits.select(1, 0).cpu().to(torch::kFloat64),
                                 hits.any(1).cpu().to(torch::kFloat64), loss.cpu().to(torch::kFloat64)},
                                1));
    if (keep_logits) {
      logits.push_back(out.to(torch::kCPU));
      labels.push_back(batch->labels.clone());
      indices.push_back(batch->indices.clone());
    }
  }
  auto all = rows.empty() ? torch::zeros({0, 4}, torch::kFloat64) : torch::cat(rows);
  if (group && group->size() > 1) {
    // Shards may differ in length (unreadable files are left out): pad to the longest.
    const auto counts = group->allgather(torch::full({1}, all.size(0), torch::kInt64).to(group->device()));
    int64_t longest = 0;
    for (const auto& c : counts) longest = std::max(longest, c.item<int64_t>());
    auto padded = torch::full({longest, 4}, -1.0, torch::kFloat64);
    padded.narrow(0, 0, all.size(0)).copy_(all);
    std::vector<torch::Tensor> shards;
    const auto gathered = group->allgather(padded.to(group->device()));
    for (size_t k = 0; k < gathered.size(); ++k) shards.push_back(gathered[k].cpu().narrow(0, 0, counts[k].item<int64_t>()));
    all = torch::cat(shards);
    // The sampler repeats the epoch's first samples to fill the last round: count each index once.
    const auto order = all.select(1, 0).argsort();
    const auto sorted = all.index_select(0, order);
    auto keep = torch::ones({sorted.size(0)}, torch::kBool);
    if (sorted.size(0) > 1) {
      keep.narrow(0, 1, sorted.size(0) - 1).copy_(sorted.select(1, 0).narrow(0, 1, sorted.size(0) - 1) !=
                                                   sorted.select(1, 0).narrow(0, 0, sorted.size(0) - 1));
    }
    all = sorted.index({keep});
  }
  r.samples = all.size(0);
  if (r.samples > 0) {
    const auto sums = all.sum(0);
    r.top1 = 100.0 * sums[1].item<double>() / static_cast<double>(r.samples);
    r.top5 = 100.0 * sums[2].item<double>() / static_cast<double>(r.samples);
    r.loss = sums[3].item<double>() / static_cast<double>(r.samples);
  }
  if (keep_logits && !logits.empty()) {
    r.logits = torch::cat(logits);
    r.labels = torch::cat(labels);
    r.indices = torch::cat(indices);
  }
  return r;
}

data::Dataset open_dataset(const config::DatasetConfig& d, int64_t num_classes) {
  if (d.root.empty()) throw std::invalid_argument("no dataset given (the config's data root is empty)");
  auto dataset = data::Dataset::open(d.root, d.split, d.data_prefix, num_classes);
  if (!d.class_names.empty()) dataset.set_class_names(d.class_names);
  return dataset;
}

std::unique_ptr<data::DataLoader> make_val_loader(const config::ExperimentConfig& c, data::Dataset dataset,
                                                  int64_t batch_size, int rank, int world_size) {
  data::LoaderOptions lo;
  lo.batch_size = batch_size > 0 ? batch_size : c.val.batch_size;
  lo.workers = c.val.workers;
  lo.pin_memory = c.runtime.device.rfind("cuda", 0) == 0;
  data::SamplerOptions so;
  so.shuffle = false;
  so.rank = rank;
  so.world_size = world_size;
  return std::make_unique<data::DataLoader>(std::move(dataset), data::make_eval_transform(c.val.pipeline), so, lo);
}

models::ImageClassifier load_classifier(const config::ExperimentConfig& c, const std::string& checkpoint,
                                        io::WeightChoice choice, io::FoundWeights* found) {
  const torch::Device device(c.runtime.device);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw std::invalid_argument("runtime.device is " + c.runtime.device + " but CUDA is not available");
  }
  io::TorchFile file(checkpoint);
  const auto weights = io::find_weights(file.root(), choice);
  if (found) {
    found->source = weights.source;
    found->ema = weights.ema;
    found->file_has_both = weights.file_has_both;
  }
  const auto arch = models::arch_for_checkpoint(c.model.arch, models::weight_shapes(weights));
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(c.model.num_classes));
  models::load_weights(*model, file, weights);
  model->to(device);
  return model;
}

EvalResult validate_checkpoint(const config::ExperimentConfig& c, const std::string& checkpoint,
                               const std::string& data, io::WeightChoice choice, int64_t batch_size,
                               bool keep_logits) {
  config::DatasetConfig source = c.val.dataset;
  if (!data.empty()) source = {data, "", "", c.val.dataset.class_names};
  if (source.root.empty()) throw std::invalid_argument("no validation data: give --data or set data.val.root");
  auto dataset = open_dataset(source, c.model.num_classes);
  if (dataset.num_classes() != c.model.num_classes) {
    throw std::invalid_argument(dataset.description() + " has " + std::to_string(dataset.num_classes()) +
                                " classes but the model has " + std::to_string(c.model.num_classes) +
                                " outputs (model.num_classes): its labels would not mean the model's classes");
  }
  const std::string description = dataset.description();
  auto loader = make_val_loader(c, std::move(dataset), batch_size);
  io::FoundWeights found;
  auto model = load_classifier(c, checkpoint, choice, &found);
  auto result = evaluate(*model, *loader, keep_logits);
  result.ema = found.ema;
  result.file_has_both = found.file_has_both;
  result.weights_source = found.source;
  if (result.samples == 0) {
    throw std::runtime_error(description + ": no image could be evaluated (" + loader->stats().str() +
                             "); the accuracy of nothing is not reported");
  }
  return result;
}

}  // namespace hornet::engine

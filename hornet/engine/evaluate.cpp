#include "hornet/engine/evaluate.h"

#include "hornet/common/allocator.h"
#include "hornet/common/cuda_device.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/data/device_prefetch.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/loss.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"
#include "hornet/io/npy.h"
#include "hornet/models/weight_file.h"
#include "hornet/ops/autocast.h"
#include "hornet/ops/kernels/fused_ops.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>

namespace hornet::engine {

namespace {
constexpr int64_t kColumns = 6;
}  // namespace

EvalResult evaluate(models::ImageClassifierImpl& model, data::DataLoader& loader, bool keep_logits,
                    distributed::ProcessGroup* group, c10::ScalarType autocast, bool channels_last,
                    bool flip) {
  const auto start = std::chrono::steady_clock::now();
  if (group && group->size() > 1 && keep_logits) {
    throw std::invalid_argument("evaluate: logits are kept only in a single process");
  }
  const torch::Tensor reference = model.parameters().front();
  const auto device = reference.device();
  model.eval();
  common::keep_freed_memory();
  torch::NoGradGuard no_grad;
  EvalResult r;
  // One row per sample: dataset index, top-1 hit, top-5 hit, cross-entropy, label, top-1 class.
  std::vector<torch::Tensor> rows, logits, labels, indices;
  // On CUDA the next batch's upload overlaps this one's forward.
  data::DevicePrefetcher batches(loader, device);
  batches.start_epoch(0);
  const data::Normalizer normalize(device, channels_last);
  while (auto batch = batches.next()) {
    const auto images = normalize(batch->images);
    torch::Tensor out;
    {
      std::optional<ops::AutocastGuard> amp;
      if (autocast != c10::ScalarType::Undefined) amp.emplace(device.type(), autocast);
      out = model.forward(images).to(torch::kFloat32);
      if (flip) out = 0.5 * (out + model.forward(images.flip({3})).to(torch::kFloat32));
    }
    const auto& y = batch->labels;
    const auto hits = topk_hits(out, y, 5);
    const auto loss = torch::nn::functional::cross_entropy(out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    const auto y_cpu = y.cpu();
    rows.push_back(torch::stack({batch->indices.to(torch::kFloat64), hits.select(1, 0).cpu().to(torch::kFloat64),
                                 hits.any(1).cpu().to(torch::kFloat64), loss.cpu().to(torch::kFloat64),
                                 y_cpu.to(torch::kFloat64), out.argmax(1).cpu().to(torch::kFloat64)},
                                1));
    if (keep_logits) {
      logits.push_back(out.to(torch::kCPU));
      labels.push_back(y_cpu.clone());
      indices.push_back(batch->indices.clone());
    }
  }
  auto all = rows.empty() ? torch::zeros({0, kColumns}, torch::kFloat64) : torch::cat(rows);
  if (group && group->size() > 1) {
    // Shards may differ in length (unreadable files are left out): pad to the longest.
    const auto counts = group->allgather(torch::full({1}, all.size(0), torch::kInt64).to(group->device()));
    int64_t longest = 0;
    for (const auto& c : counts) longest = std::max(longest, c.item<int64_t>());
    auto padded = torch::full({longest, kColumns}, -1.0, torch::kFloat64);
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
  } else {
    all = all.index_select(0, all.select(1, 0).argsort());
  }
  r.samples = all.size(0);
  if (r.samples > 0) {
    const auto sums = all.sum(0);
    r.top1 = 100.0 * sums[1].item<double>() / static_cast<double>(r.samples);
    r.top5 = 100.0 * sums[2].item<double>() / static_cast<double>(r.samples);
    r.loss = sums[3].item<double>() / static_cast<double>(r.samples);
  }
  r.targets = all.select(1, 4).to(torch::kInt64);
  r.predicted = all.select(1, 5).to(torch::kInt64);
  if (keep_logits && !logits.empty()) {
    r.logits = torch::cat(logits);
    r.labels = torch::cat(labels);
    r.indices = torch::cat(indices);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<std::vector<int64_t>> read_real_labels(const std::string& path) {
  io::JsonValue root;
  try {
    root = io::parse_json(io::read_file(path), 4);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": not a ReaL label file: " + e.what());
  }
  if (!root.is(io::JsonValue::Kind::kArray))
    throw std::runtime_error(path + ": not a ReaL label file: expected a list");
  std::vector<std::vector<int64_t>> labels;
  for (const auto& entry : root.items) {
    if (!entry.is(io::JsonValue::Kind::kArray)) {
      throw std::runtime_error(path + ": entry " + std::to_string(labels.size()) +
                               " is not a list of classes");
    }
    std::vector<int64_t> classes;
    for (const auto& c : entry.items) {
      try {
        classes.push_back(static_cast<int64_t>(io::json_uint64(c, "a class")));
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": entry " + std::to_string(labels.size()) + ": " + e.what());
      }
    }
    labels.push_back(std::move(classes));
  }
  return labels;
}

const std::vector<int64_t>& real_labels_of(const std::string& path,
                                           const std::vector<std::vector<int64_t>>& real) {
  static const std::regex name(R"(ILSVRC2012_val_(\d{8})\.[A-Za-z]+)");
  const std::string base = std::filesystem::path(path).filename().string();
  std::smatch m;
  if (!std::regex_match(base, m, name)) {
    throw std::invalid_argument(path +
                                ": ReaL labels go by ImageNet's validation file names "
                                "(ILSVRC2012_val_00000001.JPEG, ...)");
  }
  const auto number = std::stoll(m[1]);
  if (number < 1 || number > static_cast<int64_t>(real.size())) {
    throw std::invalid_argument(path + ": image " + std::to_string(number) + " is past the " +
                                std::to_string(real.size()) + " entries of the ReaL labels");
  }
  return real[static_cast<size_t>(number - 1)];
}

void score_real_labels(EvalResult& r, const std::vector<std::vector<int64_t>>& real) {
  if (!r.logits.defined() || r.paths.size() != static_cast<size_t>(r.logits.size(0))) {
    throw std::logic_error("score_real_labels: the evaluation kept no logits and paths");
  }
  const int64_t k = std::min<int64_t>(5, r.logits.size(1));
  const auto top = std::get<1>(r.logits.topk(k, 1)).contiguous();
  const auto* classes = top.data_ptr<int64_t>();
  int64_t counted = 0, hit1 = 0, hit5 = 0;
  for (size_t row = 0; row < r.paths.size(); ++row) {
    const auto& right = real_labels_of(r.paths[row], real);
    if (right.empty()) continue;
    ++counted;
    const auto is_right = [&](int64_t c) { return std::find(right.begin(), right.end(), c) != right.end(); };
    const int64_t* mine = classes + static_cast<int64_t>(row) * k;
    hit1 += is_right(mine[0]);
    hit5 += std::any_of(mine, mine + k, is_right);
  }
  r.real_samples = counted;
  r.real_top1 = counted ? 100.0 * static_cast<double>(hit1) / static_cast<double>(counted) : NAN;
  r.real_top5 = counted ? 100.0 * static_cast<double>(hit5) / static_cast<double>(counted) : NAN;
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
  common::check_device_usable(device, config::keys::kRuntimeDevice);
  ops::kernels::set_fused_mode(c.runtime.fused_kernels);
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
                               const ValidateOptions& options) {
  const torch::Device device(c.runtime.device);
  // The config's memory format and math switches; the forward's precision is the caller's (default off).
  auto setup = resolve_device_setup(c.runtime, device);
  setup.amp = resolve_amp(options.amp, device);
  config::DatasetConfig source = c.val.dataset;
  if (!options.data.empty()) source = {options.data, "", "", c.val.dataset.class_names};
  if (source.root.empty())
    throw std::invalid_argument(std::string("no validation data: give --data or set ") +
                                config::keys::kValRoot);
  auto dataset = open_dataset(source, c.model.num_classes);
  if (dataset.num_classes() != c.model.num_classes) {
    throw std::invalid_argument(dataset.description() + " has " + std::to_string(dataset.num_classes()) +
                                " classes but the model has " + std::to_string(c.model.num_classes) +
                                " outputs (" + config::keys::kNumClasses +
                                "): its labels would not mean the model's classes");
  }
  const std::string description = dataset.description();
  const auto class_names = dataset.classes();
  auto loader = make_val_loader(c, std::move(dataset), options.batch_size);
  io::FoundWeights found;
  auto model = load_classifier(c, checkpoint, options.weights, &found);
  apply_math_switches(setup);
  place_model(*model, setup);
  const bool real = !options.real_labels.empty();
  const auto real_labels = real ? read_real_labels(options.real_labels) : std::vector<std::vector<int64_t>>{};
  if (real) {
    // Before the evaluation, not after it: a sharded set's samples have no ImageNet file names.
    for (const auto& sample : loader->dataset().samples()) (void)real_labels_of(sample.path, real_labels);
  }
  auto result = evaluate(*model, *loader, options.keep_logits || real, nullptr, autocast_type(setup.amp),
                         setup.channels_last, options.flip);
  result.ema = found.ema;
  result.file_has_both = found.file_has_both;
  result.weights_source = found.source;
  result.class_names = class_names;
  result.data = description;
  if ((options.keep_logits || real) && result.indices.defined()) {
    const auto& samples = loader->dataset().samples();
    const auto* index = result.indices.data_ptr<int64_t>();
    for (int64_t k = 0; k < result.indices.numel(); ++k) result.paths.push_back(samples[static_cast<size_t>(index[k])].path);
  }
  if (result.samples == 0) {
    throw std::runtime_error(description + ": no image could be evaluated (" + loader->stats().str() +
                             "); the accuracy of nothing is not reported");
  }
  if (real) score_real_labels(result, real_labels);
  if (real && !options.keep_logits) result.logits = result.labels = result.indices = torch::Tensor();
  return result;
}

ClassBreakdown class_breakdown(const EvalResult& r, int64_t num_classes, bool with_confusion) {
  ClassBreakdown b;
  const auto targets = r.targets.contiguous();
  const auto predicted = r.predicted.contiguous();
  const auto samples = torch::bincount(targets, {}, num_classes);
  const auto correct = torch::bincount(targets.index({targets == predicted}), {}, num_classes);
  b.samples.assign(samples.data_ptr<int64_t>(), samples.data_ptr<int64_t>() + num_classes);
  b.correct.assign(correct.data_ptr<int64_t>(), correct.data_ptr<int64_t>() + num_classes);
  if (with_confusion) {
    b.confusion = torch::bincount(targets * num_classes + predicted, {}, num_classes * num_classes)
                      .view({num_classes, num_classes});
  }
  return b;
}

namespace {

std::string metrics_json(const EvalResult& r) {
  std::string out = "\"top1\": " + io::json_number(r.top1) + ", \"top5\": " + io::json_number(r.top5) +
                    ", \"samples\": " + std::to_string(r.samples) + ", \"loss\": " + io::json_number(r.loss) +
                    ", \"weights\": " + io::json_string(r.ema ? "ema" : "raw") +
                    ", \"weights_source\": " + io::json_string(r.weights_source);
  if (r.real_samples > 0) {
    out += ", \"real_top1\": " + io::json_number(r.real_top1) +
           ", \"real_top5\": " + io::json_number(r.real_top5) +
           ", \"real_samples\": " + std::to_string(r.real_samples);
  }
  return out;
}

}  // namespace

std::string eval_report_json(const EvalResult& r, int64_t num_classes, const EvalResult* other,
                             const std::vector<std::pair<std::string, std::string>>& extra) {
  const bool with_confusion = num_classes <= kMaxConfusionClasses;
  const auto b = class_breakdown(r, num_classes, with_confusion);
  std::ostringstream os;
  os << "{" << metrics_json(r) << ",\n\"data\": " << io::json_string(r.data);
  for (const auto& [key, value] : extra) os << ",\n" << io::json_string(key) << ": " << value;
  if (other) os << ",\n\"other\": {" << metrics_json(*other) << "}";
  os << ",\n\"per_class\": [";
  for (int64_t c = 0; c < num_classes; ++c) {
    const auto k = static_cast<size_t>(c);
    const std::string name = k < r.class_names.size() ? r.class_names[k] : std::to_string(c);
    os << (c ? ",\n  " : "\n  ") << "{\"class\": " << c << ", \"name\": " << io::json_string(name)
       << ", \"samples\": " << b.samples[k] << ", \"correct\": " << b.correct[k] << ", \"top1\": "
       << (b.samples[k] ? io::json_number(100.0 * static_cast<double>(b.correct[k]) / static_cast<double>(b.samples[k]))
                        : "null")
       << "}";
  }
  os << "],\n\"confusion_matrix\": ";
  if (!with_confusion) {
    os << "null, \"confusion_matrix_note\": \"left out above " << kMaxConfusionClasses << " classes\"";
  } else {
    const auto m = b.confusion.contiguous();
    const int64_t* v = m.data_ptr<int64_t>();
    os << "[";
    for (int64_t i = 0; i < num_classes; ++i) {
      os << (i ? ",\n  [" : "\n  [");
      for (int64_t j = 0; j < num_classes; ++j) os << (j ? "," : "") << v[i * num_classes + j];
      os << "]";
    }
    os << "]";
  }
  os << "}\n";
  return os.str();
}

std::vector<std::string> write_logits(const std::string& path, const EvalResult& r) {
  if (!r.logits.defined()) throw std::logic_error("write_logits: the evaluation kept no logits");
  std::string stem = path;
  if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".npy") == 0) stem.resize(stem.size() - 4);
  const std::vector<std::string> names{path, stem + ".labels.npy", stem + ".paths.txt"};
  io::write_npy(names[0], r.logits);
  io::write_npy(names[1], r.labels.to(torch::kInt64));
  std::string lines;
  for (const auto& p : r.paths) lines += p + "\n";
  io::write_file_atomic(names[2], lines);
  return names;
}

}  // namespace hornet::engine

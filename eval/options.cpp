#include "eval/options.h"

#include "hornet/common/cuda_device.h"
#include "hornet/config/config.h"

#include <CLI/CLI.hpp>

#include <stdexcept>

namespace hornet_eval {

void WeightsArgs::add_to(CLI::App& app) {
  choice_option = app.add_option("--weights", choice,
                                 "Which weights of the checkpoint: default (those its framework evaluates: mmengine's "
                                 "state_dict, the official model, the ones hornet's log reported), raw or ema")
                      ->check(CLI::IsMember({"default", "raw", "ema"}));
  app.add_flag("--use-ema", use_ema, "The same as --weights ema");
}

hornet::io::WeightChoice WeightsArgs::resolve() const {
  if (use_ema && choice != "default" && choice != "ema") {
    throw std::invalid_argument("--use-ema means --weights ema; it contradicts --weights " + choice);
  }
  return use_ema ? hornet::io::WeightChoice::kEma : hornet::io::parse_weight_choice(choice);
}

bool WeightsArgs::given() const { return use_ema || choice_option->count() > 0; }

void ArchCheckpointArgs::add_to(CLI::App& app) {
  app.add_option("--arch", arch, "Zoo arch or alias (tiny, tiny-gf, small, ..., large-gf384)");
  options.push_back(app.add_option("--num-classes", num_classes,
                                   "Classifier outputs (default: 1000, or what the checkpoint or class map says)")
                        ->check(CLI::Range(int64_t{1}, int64_t{10000000})));
  options.push_back(app.add_option("--class-map", class_map,
                                   "torch.save file of an int64 index selecting head rows (22k -> 1k)")
                        ->check(CLI::ExistingFile));
  options.push_back(app.add_option("--image-size", image_size,
                                   "Square input size: GF filters are resized once to this size's grids "
                                   "(default: the arch's own)")
                        ->check(CLI::Range(int64_t{0}, int64_t{8192})));
  options.push_back(app.add_flag("--mmap", map_file,
                                 "Parameters map the checkpoint's pages (copy-on-write) instead of reading them: a "
                                 "near-instant load, pages read when first used; zip records' CRC-32s are not "
                                 "checked (torch.load does not check them either)"));
}

hornet::models::CheckpointModelOptions ArchCheckpointArgs::model_options(hornet::io::WeightChoice weights) const {
  hornet::models::CheckpointModelOptions o;
  o.num_classes = num_classes;
  o.weights = weights;
  o.class_map = class_map;
  o.image_size = image_size;
  o.map_file = map_file;
  return o;
}

void add_checkpoint_option(CLI::App& app, std::string& checkpoint) {
  app.add_option("--checkpoint", checkpoint,
                 "A weights file: torch.save or safetensors, in mmpretrain's, the official repository's or "
                 "hornet's layout")
      ->required()
      ->check(CLI::ExistingFile);
}

void add_scoring_options(CLI::App& app, std::string& real_labels, bool& flip) {
  app.add_option("--real-labels", real_labels,
                 "ImageNet-ReaL labels (real.json): also report ReaL top-1/top-5")
      ->check(CLI::ExistingFile);
  app.add_flag("--flip", flip,
               "Test-time augmentation: average the logits of each image and its mirror image");
}

void add_amp_option(CLI::App& app, hornet::config::AmpSetting& amp) {
  add_choice_option(app, "--amp", amp,
                    "Mixed precision: off (default), auto (bf16 on GPUs that have it), bf16 or fp16 (CUDA only)");
}

torch::Device usable_device(const std::string& text) {
  const torch::Device device(text.empty() ? "cpu" : text);
  hornet::common::check_device_usable(device, "--device");
  return device;
}

hornet::config::ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                                 const std::string& device) {
  auto config = hornet::config::Config::load(path);
  for (const auto& o : overrides) config.set(o);
  if (!device.empty()) config.set(std::string(hornet::config::keys::kRuntimeDevice) + "=" + device);
  return hornet::config::parse_experiment(config);
}

}  // namespace hornet_eval

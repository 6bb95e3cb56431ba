// The experiment config's keys, declared once in the table below: parsing,
// checking, the resume policy, hornet-train's options and the config
// reference in docs/training.md all read it.
#include "hornet/config/experiment.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <type_traits>

namespace hornet::config {

models::MixerSpec parse_mixer(const std::string& text) {
  static const std::regex dw(R"(dw(\d+))"), gf(R"(gf(\d+)x(\d+))");
  std::smatch m;
  if (std::regex_match(text, m, dw)) return models::MixerSpec::depthwise(std::stoll(m[1]));
  if (std::regex_match(text, m, gf)) return models::MixerSpec::global_local(std::stoll(m[1]), std::stoll(m[2]));
  throw ConfigError("mixer '" + text + "' is neither dw<kernel> (e.g. dw7) nor gf<h>x<w> (e.g. gf14x8)");
}

models::ArchSpec parse_arch(Section& model) {
  const YAML::Node node = model.node("arch");
  if (!node || node.IsNull()) return models::arch_by_name("tiny");
  if (node.IsScalar()) {
    try {
      return models::arch_by_name(node.as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(model.path_of("arch") + ": " + e.what());
    }
  }
  Section arch = model.section("arch");
  models::ArchSpec spec;
  spec.name = arch.get<std::string>("name", "custom");
  spec.base_dim = arch.require<int64_t>("base_dim");
  spec.depths = arch.get<std::vector<int64_t>>("depths", spec.depths);
  spec.orders = arch.get<std::vector<int64_t>>("orders", spec.orders);
  const auto mixers = arch.get<std::vector<std::string>>("mixers", {"dw7", "dw7", "dw7", "dw7"});
  spec.mixers.clear();
  for (size_t i = 0; i < mixers.size(); ++i) {
    try {
      spec.mixers.push_back(parse_mixer(mixers[i]));
    } catch (const ConfigError& e) {
      throw ConfigError(arch.where("mixers") + " entry " + std::to_string(i) + " (stage " + std::to_string(i) +
                        "): " + e.what());
    }
  }
  spec.input_size = arch.get<int64_t>("image_size", 224);
  arch.finish();
  try {
    models::validate(spec);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(model.where("arch") + ": " + e.what());
  }
  return spec;
}

namespace {

using Reader = std::function<void(Section& parent, const std::string& leaf, ExperimentConfig& e)>;

// The defaults, as the struct members hold them.
const ExperimentConfig& defaults() {
  static const ExperimentConfig config;
  return config;
}

struct Key {
  KeyInfo info;
  Reader read;
};

// A bound on a number: how the reference spells it and how an error says it.
struct Range {
  std::string doc;
  std::string message;
  std::function<bool(double)> ok;
};
Range positive() {
  return {"> 0", "must be positive", [](double v) { return v > 0; }};
}
Range non_negative() {
  return {">= 0", "must not be negative", [](double v) { return v >= 0; }};
}
Range open_unit() {
  return {"in (0, 1)", "must lie in (0, 1)", [](double v) { return v > 0 && v < 1; }};
}
Range unit() {
  return {"in [0, 1]", "must lie in [0, 1]", [](double v) { return v >= 0 && v <= 1; }};
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// What the reference calls a member's type, and its default as YAML spells it.
template <typename T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else if constexpr (std::is_integral_v<T>)
    return "int";
  else if constexpr (std::is_floating_point_v<T>)
    return "float";
  else if constexpr (std::is_same_v<T, std::string>)
    return "string";
  else
    return "[float, float]";
}
template <typename T>
std::string yaml_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>)
    return v ? "true" : "false";
  else if constexpr (std::is_integral_v<T>)
    return std::to_string(v);
  else if constexpr (std::is_floating_point_v<T>)
    return number_text(v);
  else if constexpr (std::is_same_v<T, std::string>)
    return v.empty() ? "\"\"" : v;
  else
    return "[" + number_text(v.first) + ", " + number_text(v.second) + "]";
}

// Two numbers: YAML's [a, b].
std::pair<double, double> read_pair(Section& s, const std::string& key, std::pair<double, double> fallback) {
  const auto v = s.get<std::vector<double>>(key, {fallback.first, fallback.second});
  if (v.size() != 2) throw ConfigError(s.where(key) + " must be a list of two numbers");
  return {v[0], v[1]};
}

// `key: false` switches an augmentation off; true or a map of its settings switches it on.
bool read_toggle(Section& parent, const std::string& key, bool fallback) {
  const YAML::Node n = parent.node(key);
  if (!n || n.IsNull()) return fallback;
  if (!n.IsScalar()) return true;
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    throw ConfigError(parent.where(key) + " must be true, false or a map");
  }
}

class Table {
 public:
  // A number, flag or string member of the experiment config.
  template <typename T>
  void add(const std::string& path, std::function<T&(ExperimentConfig&)> ref, const std::string& doc,
           const Range& range = {}, bool changes_run = true, const std::string& option = "") {
    KeyInfo info{path,   type_name<T>(), yaml_text(ref(defaults_)), range.doc, {}, doc, changes_run,
                 option, nullptr};
    if constexpr (std::is_arithmetic_v<T>) {
      info.check = [range](const std::string& text) -> std::string {
        try {
          const auto v = YAML::Load(text).as<T>();
          return !range.ok || range.ok(static_cast<double>(v)) ? "" : range.message + ", got " + text;
        } catch (const YAML::Exception&) {
          return "must be " + std::string(std::is_same_v<T, bool> ? "true or false" : "a number") + ", got " +
                 text;
        }
      };
    }
    keys_.push_back({info, [ref, range](Section& s, const std::string& leaf, ExperimentConfig& e) {
                       T& v = ref(e);
                       if constexpr (std::is_same_v<T, std::pair<double, double>>) {
                         v = read_pair(s, leaf, v);
                       } else if constexpr (std::is_same_v<T, int>) {
                         v = static_cast<int>(s.get<int64_t>(leaf, v));
                       } else {
                         v = s.get<T>(leaf, v);
                       }
                       if constexpr (std::is_arithmetic_v<T>) {
                         if (range.ok && !range.ok(static_cast<double>(v))) {
                           throw ConfigError(s.where(leaf) + " " + range.message);
                         }
                       }
                     }});
  }
  // A member that takes one of an enumeration's names (choices.h).
  template <typename E>
  void choice(const std::string& path, std::function<E&(ExperimentConfig&)> ref, const std::string& doc,
              bool changes_run = true, const std::string& option = "") {
    std::vector<std::string> names;
    for (const auto& [name, value] : choices<E>()) names.push_back(name);
    KeyInfo info{path,
                 "choice",
                 choice_name(ref(defaults_)),
                 choice_list<E>(),
                 names,
                 doc,
                 changes_run,
                 option,
                 [](const std::string& text) -> std::string {
                   try {
                     (void)parse_choice<E>(text);
                     return "";
                   } catch (const std::invalid_argument& e) {
                     return e.what();
                   }
                 }};
    keys_.push_back({info, [ref](Section& s, const std::string& leaf, ExperimentConfig& e) {
                       E& v = ref(e);
                       const auto text = s.get<std::string>(leaf, choice_name(v));
                       try {
                         v = parse_choice<E>(text);
                       } catch (const std::invalid_argument& err) {
                         throw ConfigError(s.where(leaf) + " " + err.what());
                       }
                     }});
  }
  // An augmentation's switch: false, true, or a map of the keys below it.
  void toggle(const std::string& path, std::function<bool&(ExperimentConfig&)> ref, const std::string& doc) {
    KeyInfo info{path, "bool or map", yaml_text(ref(defaults_)), "", {}, doc, true, "", nullptr};
    keys_.push_back({info, [ref](Section& s, const std::string& leaf, ExperimentConfig& e) {
                       ref(e) = read_toggle(s, leaf, ref(e));
                     }});
  }
  // The last key's default as the reference states it, where another key derives it.
  void describe_default(const std::string& text) { keys_.back().info.default_text = text; }
  // Anything else: its own reader and its reference entry spelt out.
  void custom(KeyInfo info, Reader read) { keys_.push_back({std::move(info), std::move(read)}); }

  std::vector<Key> take() { return std::move(keys_); }

 private:
  ExperimentConfig defaults_ = defaults();  // a copy the members' references can bind to
  std::vector<Key> keys_;
};

// `root_key` (data.train.root, data.val.root) names the dataset's section too.
void add_dataset_keys(Table& t, const std::string& root_key, DatasetConfig& (*dataset)(ExperimentConfig&)) {
  const std::string prefix = root_key.substr(0, root_key.rfind('.'));
  t.add<std::string>(
      root_key, [dataset](ExperimentConfig& e) -> std::string& { return dataset(e).root; },
      "a folder (ImageFolder, or an ImageNet root with `split`) or an annotation file");
  t.add<std::string>(
      prefix + ".split", [dataset](ExperimentConfig& e) -> std::string& { return dataset(e).split; },
      "the ImageNet split below `root` (train, val)");
  t.add<std::string>(
      prefix + ".data_prefix",
      [dataset](ExperimentConfig& e) -> std::string& { return dataset(e).data_prefix; },
      "prefix of an annotation file's relative paths (default: the file's folder)");
  t.add<std::string>(
      prefix + ".class_names",
      [dataset](ExperimentConfig& e) -> std::string& { return dataset(e).class_names; },
      "a text file of class names, one per line");
}

void add_model_keys(Table& t) {
  t.custom({"model.arch",
            "zoo name or map",
            defaults().model.arch.name,
            "",
            {},
            "a zoo arch (tiny, tiny-gf, small, ..., large-gf384) or {name, base_dim, depths, orders, mixers: "
            "[dw7, "
            "gf14x8, ...], image_size}",
            true,
            "",
            nullptr},
           [](Section& s, const std::string&, ExperimentConfig& e) { e.model.arch = parse_arch(s); });
  t.add<int64_t>(
      keys::kNumClasses, [](ExperimentConfig& e) -> int64_t& { return e.model.num_classes; },
      "classifier outputs", positive());
  t.add<double>(
      "model.drop_path_rate", [](ExperimentConfig& e) -> double& { return e.model.drop_path_rate; },
      "stochastic depth, rising linearly to this over the blocks", unit());
  t.add<double>(
      "model.layer_scale_init_value",
      [](ExperimentConfig& e) -> double& { return e.model.layer_scale_init_value; },
      "initial LayerScale gamma (0: no LayerScale)", non_negative());
  t.choice<models::InitScheme>(
      "model.init", [](ExperimentConfig& e) -> models::InitScheme& { return e.model.init; },
      "official: trunc-normal(0.02) on convolutions and linears; mmpretrain: on linears "
      "only");
  t.add<int64_t>(
      "model.backbone.frozen_stages", [](ExperimentConfig& e) -> int64_t& { return e.model.frozen_stages; },
      "stages 0..N (with their downsampling) keep their weights and run in evaluation mode (-1: none)",
      {"-1 to 3", "must be -1 or a stage index in [0, 3]", [](double v) { return v >= -1 && v <= 3; }});
}

void add_train_data_keys(Table& t) {
  add_dataset_keys(t, keys::kTrainRoot,
                   [](ExperimentConfig& e) -> DatasetConfig& { return e.train.dataset; });
  t.add<int64_t>(
      keys::kTrainBatchSize, [](ExperimentConfig& e) -> int64_t& { return e.train.batch_size; },
      "the micro-batch: images per device and forward pass", positive());
  t.add<int64_t>(
      keys::kExpectedSize, [](ExperimentConfig& e) -> int64_t& { return e.train.expected_size; },
      "images in the dataset as the recipe expects it, for --dry-run's step counts (0: unknown)",
      non_negative());
  t.add<int>(
      "data.train.workers", [](ExperimentConfig& e) -> int& { return e.train.workers; },
      "loader threads per rank", positive(), false);
  t.add<int64_t>(
      "data.train.shuffle_buffer", [](ExperimentConfig& e) -> int64_t& { return e.train.shuffle_buffer; },
      "WebDataset shards: samples each read stream holds to draw from at random (docs/data.md)", positive());
  t.add<int>(
      "data.train.shard_streams", [](ExperimentConfig& e) -> int& { return e.train.shard_streams; },
      "WebDataset shards: streams per rank, each reading its own shards in order", positive());
  t.add<int>(
      "data.train.prefetch", [](ExperimentConfig& e) -> int& { return e.train.prefetch; },
      "batches prepared ahead", non_negative(), false);
  using Pipeline = data::TrainPipelineOptions;
  const auto pipe = [](ExperimentConfig& e) -> Pipeline& { return e.train.pipeline; };
  t.add<int>(
      "data.train.pipeline.size", [pipe](ExperimentConfig& e) -> int& { return pipe(e).size; },
      "output side of RandomResizedCrop", positive());
  t.add<std::pair<double, double>>(
      "data.train.pipeline.crop_scale",
      [pipe](ExperimentConfig& e) -> std::pair<double, double>& { return pipe(e).crop.scale; },
      "RandomResizedCrop's area fraction range");
  t.add<std::pair<double, double>>(
      "data.train.pipeline.crop_ratio",
      [pipe](ExperimentConfig& e) -> std::pair<double, double>& { return pipe(e).crop.ratio; },
      "RandomResizedCrop's aspect ratio range (w/h, sampled log-uniformly)");
  t.add<double>(
      "data.train.pipeline.flip", [pipe](ExperimentConfig& e) -> double& { return pipe(e).flip_probability; },
      "probability of a horizontal flip", unit());
  t.add<bool>(
      "data.train.pipeline.dct_scaling", [pipe](ExperimentConfig& e) -> bool& { return pipe(e).dct_scaling; },
      "decode JPEGs reduced by 2, 4 or 8 when the crop stays at least the output size");
  t.toggle(
      "data.train.pipeline.rand_augment",
      [pipe](ExperimentConfig& e) -> bool& { return pipe(e).use_rand_augment; },
      "RandAugment (rand-m9-mstd0.5-inc1): false switches it off, a map sets the keys below");
  t.add<int>(
      "data.train.pipeline.rand_augment.num_ops",
      [pipe](ExperimentConfig& e) -> int& { return pipe(e).rand_augment.num_ops; }, "operations per image",
      non_negative());
  t.add<double>(
      "data.train.pipeline.rand_augment.magnitude",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).rand_augment.magnitude; }, "magnitude (of 10)",
      non_negative());
  t.add<double>(
      "data.train.pipeline.rand_augment.magnitude_std",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).rand_augment.magnitude_std; },
      "standard deviation of the magnitude, drawn per operation", non_negative());
  t.add<double>(
      "data.train.pipeline.rand_augment.probability",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).rand_augment.probability; },
      "probability of applying each chosen operation", unit());
  t.toggle(
      "data.train.pipeline.random_erasing",
      [pipe](ExperimentConfig& e) -> bool& { return pipe(e).use_random_erasing; },
      "RandomErasing (timm's, per-pixel normal fill): false switches it off, a map sets the keys below");
  t.add<double>(
      "data.train.pipeline.random_erasing.probability",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).random_erasing.probability; },
      "probability of erasing a box", unit());
  t.add<double>(
      "data.train.pipeline.random_erasing.min_area",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).random_erasing.min_area; },
      "smallest box, as a fraction of the image", unit());
  t.add<double>(
      "data.train.pipeline.random_erasing.max_area",
      [pipe](ExperimentConfig& e) -> double& { return pipe(e).random_erasing.max_area; },
      "largest box, as a fraction of the image", unit());
  const auto mix = [](ExperimentConfig& e) -> data::MixupOptions& { return e.train.mixup; };
  t.add<double>(
      "data.train.mixup.mixup_alpha", [mix](ExperimentConfig& e) -> double& { return mix(e).mixup_alpha; },
      "Mixup's Beta(alpha, alpha) (0: no Mixup)", non_negative());
  t.add<double>(
      "data.train.mixup.cutmix_alpha", [mix](ExperimentConfig& e) -> double& { return mix(e).cutmix_alpha; },
      "CutMix's Beta(alpha, alpha) (0: no CutMix)", non_negative());
  t.add<double>(
      "data.train.mixup.probability", [mix](ExperimentConfig& e) -> double& { return mix(e).probability; },
      "probability of mixing a batch at all", unit());
  t.add<double>(
      "data.train.mixup.switch_probability",
      [mix](ExperimentConfig& e) -> double& { return mix(e).switch_probability; },
      "probability of CutMix rather than Mixup when both are on", unit());
  t.add<double>(
      "data.train.mixup.label_smoothing",
      [mix](ExperimentConfig& e) -> double& { return mix(e).label_smoothing; },
      "label smoothing of the (soft) targets", unit());
}

void add_val_data_keys(Table& t) {
  add_dataset_keys(t, keys::kValRoot, [](ExperimentConfig& e) -> DatasetConfig& { return e.val.dataset; });
  t.add<int64_t>(
      "data.val.batch_size", [](ExperimentConfig& e) -> int64_t& { return e.val.batch_size; },
      "images per validation forward pass", positive(), false);
  t.add<int>(
      "data.val.workers", [](ExperimentConfig& e) -> int& { return e.val.workers; },
      "loader threads per rank", positive(), false);
  // The crop decides the other two's defaults (its size's evaluation options), so it is read first.
  t.custom({"data.val.pipeline.crop",
            "int",
            yaml_text(defaults().val.pipeline.crop),
            "> 0",
            {},
            "the input side",
            true,
            "",
            nullptr},
           [](Section& s, const std::string& leaf, ExperimentConfig& e) {
             const int64_t crop = s.get<int64_t>(leaf, e.val.pipeline.crop);
             if (crop < 1) throw ConfigError(s.where(leaf) + " must be positive");
             e.val.pipeline = data::eval_options_for_size(static_cast<int>(crop));
           });
  t.add<int>(
      "data.val.pipeline.resize", [](ExperimentConfig& e) -> int& { return e.val.pipeline.resize; },
      "short edge before the centre crop", positive());
  t.describe_default("int(crop / 0.875)");
  t.add<bool>(
      "data.val.pipeline.square_resize",
      [](ExperimentConfig& e) -> bool& { return e.val.pipeline.square_resize; },
      "resize straight to crop x crop without a centre crop (the official protocol at 384)");
  t.describe_default("crop >= 384");
}

void add_optim_keys(Table& t) {
  t.add<double>(
      keys::kLr, [](ExperimentConfig& e) -> double& { return e.optim.lr; },
      "peak learning rate, for the total batch `base_batch_size`", positive());
  t.add<int64_t>(
      keys::kTotalBatch, [](ExperimentConfig& e) -> int64_t& { return e.optim.total_batch; },
      "images per optimizer step over all devices (the published total batch); accumulation is derived "
      "from it (0: one micro-batch per device and step)",
      non_negative());
  t.add<int64_t>(
      keys::kBaseBatchSize, [](ExperimentConfig& e) -> int64_t& { return e.optim.base_batch_size; },
      "the total batch `lr` is meant for; another total batch scales it linearly (0: `lr` as given)",
      non_negative());
  t.custom({"optim.accumulation",
            "(derived)",
            "",
            "",
            {},
            "not a key: accumulation = total_batch / (batch_size x world size)",
            true,
            "",
            nullptr},
           [](Section& s, const std::string& leaf, ExperimentConfig&) {
             if (s.has(leaf)) {
               throw ConfigError(
                   s.where(leaf) + ": " + s.path_of(leaf) +
                   " is derived, not set: give the images per optimizer step over all devices as " +
                   keys::kTotalBatch + ", and the per-device micro-batch as " + keys::kTrainBatchSize);
             }
             (void)s.node(leaf);
           });
  t.add<double>(
      "optim.weight_decay", [](ExperimentConfig& e) -> double& { return e.optim.weight_decay; },
      "AdamW's decoupled weight decay (none on biases and 1-D parameters)", non_negative());
  t.add<std::pair<double, double>>(
      "optim.betas", [](ExperimentConfig& e) -> std::pair<double, double>& { return e.optim.betas; },
      "AdamW's betas");
  t.add<double>(
      "optim.eps", [](ExperimentConfig& e) -> double& { return e.optim.eps; }, "AdamW's epsilon", positive());
  t.add<double>(
      "optim.layer_decay", [](ExperimentConfig& e) -> double& { return e.optim.layer_decay; },
      "layer-wise LR decay over the official 14 groups (1: none)", positive());
  t.add<double>(
      "optim.clip_grad", [](ExperimentConfig& e) -> double& { return e.optim.clip_grad; },
      "clip the gradients' total L2 norm to this once per optimizer step (0: no clipping)", non_negative());
}

void add_schedule_keys(Table& t) {
  t.add<int64_t>(
      "schedule.epochs", [](ExperimentConfig& e) -> int64_t& { return e.schedule.epochs; }, "training epochs",
      positive());
  t.add<double>(
      "schedule.warmup_epochs", [](ExperimentConfig& e) -> double& { return e.schedule.warmup_epochs; },
      "linear warmup length, between 0 and `epochs`");
  t.add<double>(
      "schedule.warmup_start_factor",
      [](ExperimentConfig& e) -> double& { return e.schedule.warmup_start_factor; },
      "the warmup starts at lr x this (0: from zero, as the official code)", unit());
  t.add<double>(
      "schedule.min_lr", [](ExperimentConfig& e) -> double& { return e.schedule.min_lr; },
      "the cosine's floor", non_negative());
  t.add<bool>(
      "schedule.by_epoch", [](ExperimentConfig& e) -> bool& { return e.schedule.by_epoch; },
      "step the cosine once per epoch (mmpretrain) instead of every optimizer step (official)");
}

void add_ema_keys(Table& t) {
  t.add<bool>(
      "ema.enabled", [](ExperimentConfig& e) -> bool& { return e.ema.enabled; },
      "keep an exponential moving average of the weights");
  t.add<double>(
      "ema.decay", [](ExperimentConfig& e) -> double& { return e.ema.decay; },
      "ema = decay x ema + (1 - decay) x weights (timm's ModelEma)", open_unit());
  t.custom({"ema.momentum",
            "float",
            "(unset)",
            "in (0, 1)",
            {},
            "mmengine's spelling: decay = 1 - momentum",
            true,
            "",
            nullptr},
           [](Section& s, const std::string& leaf, ExperimentConfig& e) {
             if (s.has(leaf)) e.ema.decay = 1.0 - s.get<double>(leaf, 0.0);
             (void)s.node(leaf);
             if (!(e.ema.decay > 0 && e.ema.decay < 1))
               throw ConfigError(s.where("decay") + " must lie in (0, 1)");
           });
  t.add<int64_t>(
      "ema.interval", [](ExperimentConfig& e) -> int64_t& { return e.ema.interval; },
      "optimizer steps between updates", positive());
  t.add<bool>(
      "ema.evaluate", [](ExperimentConfig& e) -> bool& { return e.ema.evaluate; },
      "validate, and pick best.pth, on the EMA weights");
}

void add_runtime_keys(Table& t) {
  t.add<uint64_t>(
      "runtime.seed", [](ExperimentConfig& e) -> uint64_t& { return e.runtime.seed; },
      "seed of initialisation, sampling and augmentation");
  t.custom({keys::kRuntimeDevice,
            "string",
            defaults().runtime.device,
            "cpu or cuda[:N]",
            {},
            "where the run computes",
            false,
            "--device",
            [](const std::string& text) -> std::string {
              return text == "cpu" || text.rfind("cuda", 0) == 0
                         ? ""
                         : "must be cpu or cuda[:N], got '" + text + "'";
            }},
           [](Section& s, const std::string& leaf, ExperimentConfig& e) {
             e.runtime.device = s.get<std::string>(leaf, e.runtime.device);
             if (e.runtime.device != "cpu" && e.runtime.device.rfind("cuda", 0) != 0) {
               throw ConfigError(s.where(leaf) + " must be cpu or cuda[:N], got '" + e.runtime.device + "'");
             }
           });
  t.add<int>(
      "runtime.threads", [](ExperimentConfig& e) -> int& { return e.runtime.threads; },
      "intra-op threads (0: the node's cores shared by its ranks)", non_negative(), false, "--threads");
  t.choice<AmpSetting>(
      "runtime.amp", [](ExperimentConfig& e) -> AmpSetting& { return e.runtime.amp; },
      "mixed precision: auto is bf16 autocast on GPUs with bf16 (compute capability 8.0+), else "
      "off; fp16 is CUDA only, with the dynamic loss scaler",
      true, "--amp");
  t.choice<ChannelsLast>(
      "runtime.channels_last", [](ExperimentConfig& e) -> ChannelsLast& { return e.runtime.channels_last; },
      "channels-last activations and convolution weights (auto: on CUDA)");
  t.add<bool>(
      "runtime.tf32", [](ExperimentConfig& e) -> bool& { return e.runtime.tf32; },
      "CUDA float32 matrix products and convolutions may use TF32");
  t.add<bool>(
      "runtime.cudnn_benchmark", [](ExperimentConfig& e) -> bool& { return e.runtime.cudnn_benchmark; },
      "cuDNN times its algorithms per input shape and keeps the fastest");
  t.add<bool>(
      "runtime.activation_checkpointing",
      [](ExperimentConfig& e) -> bool& { return e.runtime.activation_checkpointing; },
      "keep only each block's input and recompute the block in the backward pass: far less activation "
      "memory for the large models at 384, about a third more compute");
  t.choice<ops::kernels::FusedMode>(
      "runtime.fused_kernels",
      [](ExperimentConfig& e) -> ops::kernels::FusedMode& { return e.runtime.fused_kernels; },
      "the fused gnConv kernels: auto on CUDA when built (docs/cuda.md); always runs their CPU twin too "
      "(slow, for "
      "checking)");
  t.add<int64_t>(
      "runtime.log_interval", [](ExperimentConfig& e) -> int64_t& { return e.runtime.log_interval; },
      "micro-batches between log lines", positive(), false);
  t.add<bool>(
      "runtime.tensorboard", [](ExperimentConfig& e) -> bool& { return e.runtime.tensorboard; },
      "also write the metrics, and a grid of the first batch, as TensorBoard event files in the work dir's "
      "tensorboard/",
      {}, false);
  t.add<int64_t>(
      "runtime.val_interval", [](ExperimentConfig& e) -> int64_t& { return e.runtime.val_interval; },
      "epochs between validations (0: never)", non_negative(), false);
  t.add<int64_t>(
      "runtime.checkpoint_interval",
      [](ExperimentConfig& e) -> int64_t& { return e.runtime.checkpoint_interval; },
      "epochs between epoch_N.pth checkpoints", positive(), false);
  t.add<int64_t>(
      "runtime.checkpoint_every_iters",
      [](ExperimentConfig& e) -> int64_t& { return e.runtime.checkpoint_every_iters; },
      "also save last.pth every this many micro-batches (0: at epoch ends only)", non_negative(), false);
  t.add<int64_t>(
      "runtime.keep_checkpoints", [](ExperimentConfig& e) -> int64_t& { return e.runtime.keep_checkpoints; },
      "epoch checkpoints kept, besides last.pth and best.pth", positive(), false);
  t.add<int64_t>(
      "runtime.max_nonfinite_steps",
      [](ExperimentConfig& e) -> int64_t& { return e.runtime.max_nonfinite_steps; },
      "consecutive skipped (non-finite) steps before the run stops", positive(), false);
  t.add<std::string>(
      keys::kLoadFrom, [](ExperimentConfig& e) -> std::string& { return e.runtime.load_from; },
      "start from these weights (any checkpoint hornet reads)", {}, false);
  t.add<bool>(
      "runtime.load_from_ema", [](ExperimentConfig& e) -> bool& { return e.runtime.load_from_ema; },
      "take load_from's EMA weights", {}, false);
  t.add<bool>(
      keys::kLoadStrict, [](ExperimentConfig& e) -> bool& { return e.runtime.load_strict; },
      "load_from must fill the whole backbone; false fine-tunes from whatever fits");
  t.add<std::string>(
      "runtime.class_map", [](ExperimentConfig& e) -> std::string& { return e.runtime.class_map; },
      "for load_from: slice its head through this class index file (22k -> 1k)", {}, false);
}

void add_distributed_keys(Table& t) {
  t.choice<distributed::Backend>(
      "distributed.backend",
      [](ExperimentConfig& e) -> distributed::Backend& { return e.distributed.backend; },
      "the collectives' engine (auto: NCCL on CUDA, Gloo on the CPU)", false);
  t.add<double>(
      "distributed.bucket_mb", [](ExperimentConfig& e) -> double& { return e.distributed.bucket_mb; },
      "gradients are all-reduced in buckets of about this many MiB (DDP's default)", positive(), false);
  t.add<double>(
      keys::kTimeout, [](ExperimentConfig& e) -> double& { return e.distributed.timeout; },
      "seconds a rendezvous or collective waits for the other ranks before the run stops naming the "
      "missing rank",
      positive(), false);
}

const std::vector<Key>& key_table() {
  static const std::vector<Key> table = [] {
    Table t;
    add_model_keys(t);
    add_train_data_keys(t);
    add_val_data_keys(t);
    add_optim_keys(t);
    add_schedule_keys(t);
    add_ema_keys(t);
    add_runtime_keys(t);
    add_distributed_keys(t);
    return t.take();
  }();
  return table;
}

// The sections of one config, each opened once so that finish() knows every
// key read in it.
class Sections {
 public:
  explicit Sections(const Config& config) : config_(config) {
    open_.emplace("", std::make_unique<Section>(config, config.root(), ""));
  }
  Section& at(const std::string& path) {
    const auto it = open_.find(path);
    if (it != open_.end()) return *it->second;
    const auto dot = path.rfind('.');
    Section& parent = at(dot == std::string::npos ? "" : path.substr(0, dot));
    const std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
    // A switch given as a scalar (rand_augment: false) has no keys below it.
    const YAML::Node node = parent.node(leaf);
    auto child = node && node.IsScalar()
                     ? std::make_unique<Section>(config_, YAML::Node(YAML::NodeType::Map), path)
                     : std::make_unique<Section>(parent.section(leaf));
    order_.push_back(path);
    return *open_.emplace(path, std::move(child)).first->second;
  }
  // Deepest first: an unknown key is reported where it is.
  void finish() {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) open_.at(*it)->finish();
    open_.at("")->finish();
  }

 private:
  const Config& config_;
  std::map<std::string, std::unique_ptr<Section>> open_;
  std::vector<std::string> order_;
};

std::string section_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

}  // namespace

ExperimentConfig parse_experiment(const Config& config) {
  ExperimentConfig e;
  Sections sections(config);
  for (const auto& key : key_table()) {
    const std::string& path = key.info.path;
    key.read(sections.at(section_of(path)), path.substr(path.rfind('.') + 1), e);
  }
  sections.finish();
  // The one rule between two keys: name both values and where each was set.
  if (e.schedule.warmup_epochs < 0 || e.schedule.warmup_epochs > e.schedule.epochs) {
    std::ostringstream what;
    what << config.origin("schedule.warmup_epochs") << ": config key 'schedule.warmup_epochs' is "
         << e.schedule.warmup_epochs << ", but must lie between 0 and schedule.epochs, which is "
         << e.schedule.epochs << " (from " << config.origin("schedule.epochs") << ")";
    throw ConfigError(what.str());
  }
  return e;
}

const std::vector<KeyInfo>& experiment_keys() {
  static const std::vector<KeyInfo> infos = [] {
    std::vector<KeyInfo> out;
    for (const auto& key : key_table()) out.push_back(key.info);
    return out;
  }();
  return infos;
}

bool key_changes_run(const std::string& path) {
  const KeyInfo* best = nullptr;
  for (const auto& key : experiment_keys()) {
    const bool covers = path == key.path || path.rfind(key.path + ".", 0) == 0;
    if (covers && (!best || key.path.size() > best->path.size())) best = &key;
  }
  return !best || best->changes_run;
}

std::string config_reference_markdown() {
  std::ostringstream md;
  std::string section = "-";
  for (const auto& key : experiment_keys()) {
    // Tables per top-level section, data split into train and val.
    const std::string top = key.path.rfind("data.", 0) == 0 ? key.path.substr(0, key.path.find('.', 5))
                                                            : key.path.substr(0, key.path.find('.'));
    if (top != section) {
      section = top;
      md << (md.tellp() > 0 ? "\n" : "") << "**`" << section << "`**\n\n"
         << "| key | type | default | allowed | on resume | meaning |\n|---|---|---|---|---|---|\n";
    }
    std::string meaning = key.doc;
    if (!key.option.empty()) meaning += " (hornet-train `" + key.option + "`)";
    md << "| `" << key.path.substr(section.size() + 1) << "` | " << key.type << " | `" << key.default_text
       << "` | " << key.allowed << " | " << (key.changes_run ? "fixed" : "free") << " | " << meaning
       << " |\n";
  }
  return md.str();
}

}  // namespace hornet::config

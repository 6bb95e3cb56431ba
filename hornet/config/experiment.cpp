// Reading the experiment config (see experiment.h for the layout).
#include "hornet/config/experiment.h"

#include <cctype>
#include <regex>
#include <sstream>

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

DatasetConfig parse_dataset(Section& s) {
  DatasetConfig d;
  d.root = s.get<std::string>("root", "");
  d.split = s.get<std::string>("split", "");
  d.data_prefix = s.get<std::string>("data_prefix", "");
  d.class_names = s.get<std::string>("class_names", "");
  return d;
}

std::pair<double, double> pair_of(Section& s, const std::string& key, std::pair<double, double> fallback) {
  const auto v = s.get<std::vector<double>>(key, {fallback.first, fallback.second});
  if (v.size() != 2) throw ConfigError("config key '" + s.path_of(key) + "' must be a list of two numbers");
  return {v[0], v[1]};
}

// `key: false` switches an augmentation off; a map configures it.
bool enabled_section(Section& parent, const std::string& key, bool fallback) {
  if (!parent.has(key)) {
    (void)parent.node(key);
    return fallback;
  }
  const YAML::Node n = parent.node(key);
  if (n.IsScalar()) {
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      throw ConfigError("config key '" + parent.path_of(key) + "' must be true, false or a map");
    }
  }
  return true;
}

void parse_train_pipeline(Section& p, data::TrainPipelineOptions& o) {
  o.size = static_cast<int>(p.get<int64_t>("size", o.size));
  o.crop.scale = pair_of(p, "crop_scale", o.crop.scale);
  o.crop.ratio = pair_of(p, "crop_ratio", o.crop.ratio);
  o.flip_probability = p.get<double>("flip", o.flip_probability);
  o.dct_scaling = p.get<bool>("dct_scaling", o.dct_scaling);
  o.use_rand_augment = enabled_section(p, "rand_augment", o.use_rand_augment);
  if (o.use_rand_augment && p.has("rand_augment") && p.node("rand_augment").IsMap()) {
    auto ra = p.section("rand_augment");
    o.rand_augment.num_ops = static_cast<int>(ra.get<int64_t>("num_ops", o.rand_augment.num_ops));
    o.rand_augment.magnitude = ra.get<double>("magnitude", o.rand_augment.magnitude);
    o.rand_augment.magnitude_std = ra.get<double>("magnitude_std", o.rand_augment.magnitude_std);
    o.rand_augment.probability = ra.get<double>("probability", o.rand_augment.probability);
    ra.finish();
  }
  o.use_random_erasing = enabled_section(p, "random_erasing", o.use_random_erasing);
  if (o.use_random_erasing && p.has("random_erasing") && p.node("random_erasing").IsMap()) {
    auto re = p.section("random_erasing");
    o.random_erasing.probability = re.get<double>("probability", o.random_erasing.probability);
    o.random_erasing.min_area = re.get<double>("min_area", o.random_erasing.min_area);
    o.random_erasing.max_area = re.get<double>("max_area", o.random_erasing.max_area);
    re.finish();
  }
}

}  // namespace

ExperimentConfig parse_experiment(const Config& config) {
  ExperimentConfig e;
  Section root(config, config.root(), "");

  auto model = root.section("model");
  e.model.arch = parse_arch(model);
  e.model.num_classes = model.get<int64_t>("num_classes", e.model.num_classes);
  e.model.drop_path_rate = model.get<double>("drop_path_rate", e.model.drop_path_rate);
  e.model.layer_scale_init_value = model.get<double>("layer_scale_init_value", e.model.layer_scale_init_value);
  const auto init = model.get<std::string>("init", "official");
  if (init != "official" && init != "mmpretrain") {
    throw ConfigError(config.origin("model.init") + ": config key 'model.init' must be official or mmpretrain, got '" +
                      init + "'");
  }
  e.model.init = init == "official" ? models::InitScheme::kOfficial : models::InitScheme::kMmpretrain;
  model.finish();

  auto data = root.section("data");
  {
    auto train = data.section("train");
    e.train.dataset = parse_dataset(train);
    e.train.batch_size = train.get<int64_t>("batch_size", e.train.batch_size);
    e.train.expected_size = train.get<int64_t>("expected_size", e.train.expected_size);
    e.train.workers = static_cast<int>(train.get<int64_t>("workers", e.train.workers));
    e.train.prefetch = static_cast<int>(train.get<int64_t>("prefetch", e.train.prefetch));
    auto pipeline = train.section("pipeline");
    parse_train_pipeline(pipeline, e.train.pipeline);
    pipeline.finish();
    auto mixup = train.section("mixup");
    e.train.mixup.mixup_alpha = mixup.get<double>("mixup_alpha", e.train.mixup.mixup_alpha);
    e.train.mixup.cutmix_alpha = mixup.get<double>("cutmix_alpha", e.train.mixup.cutmix_alpha);
    e.train.mixup.probability = mixup.get<double>("probability", e.train.mixup.probability);
    e.train.mixup.switch_probability = mixup.get<double>("switch_probability", e.train.mixup.switch_probability);
    e.train.mixup.label_smoothing = mixup.get<double>("label_smoothing", e.train.mixup.label_smoothing);
    mixup.finish();
    train.finish();

    auto val = data.section("val");
    e.val.dataset = parse_dataset(val);
    e.val.batch_size = val.get<int64_t>("batch_size", e.val.batch_size);
    e.val.workers = static_cast<int>(val.get<int64_t>("workers", e.val.workers));
    auto vp = val.section("pipeline");
    const int crop = static_cast<int>(vp.get<int64_t>("crop", 224));
    e.val.pipeline = data::eval_options_for_size(crop);
    e.val.pipeline.resize = static_cast<int>(vp.get<int64_t>("resize", e.val.pipeline.resize));
    e.val.pipeline.square_resize = vp.get<bool>("square_resize", e.val.pipeline.square_resize);
    vp.finish();
    val.finish();
  }
  data.finish();

  auto optim = root.section("optim");
  e.optim.lr = optim.get<double>("lr", e.optim.lr);
  e.optim.weight_decay = optim.get<double>("weight_decay", e.optim.weight_decay);
  const auto betas = optim.get<std::vector<double>>("betas", {e.optim.betas[0], e.optim.betas[1]});
  if (betas.size() != 2) throw ConfigError(config.origin("optim.betas") + ": optim.betas must hold two numbers");
  e.optim.betas = {betas[0], betas[1]};
  e.optim.eps = optim.get<double>("eps", e.optim.eps);
  e.optim.layer_decay = optim.get<double>("layer_decay", e.optim.layer_decay);
  e.optim.clip_grad = optim.get<double>("clip_grad", e.optim.clip_grad);
  if (optim.has("accumulation")) {
    throw ConfigError(config.origin("optim.accumulation") +
                      ": optim.accumulation is derived, not set: give the images per optimizer step over all devices "
                      "as optim.total_batch, and the per-device micro-batch as data.train.batch_size");
  }
  e.optim.total_batch = optim.get<int64_t>("total_batch", e.optim.total_batch);
  e.optim.base_batch_size = optim.get<int64_t>("base_batch_size", e.optim.base_batch_size);
  optim.finish();

  auto schedule = root.section("schedule");
  e.schedule.epochs = schedule.get<int64_t>("epochs", e.schedule.epochs);
  e.schedule.warmup_epochs = schedule.get<double>("warmup_epochs", e.schedule.warmup_epochs);
  e.schedule.warmup_start_factor = schedule.get<double>("warmup_start_factor", e.schedule.warmup_start_factor);
  e.schedule.min_lr = schedule.get<double>("min_lr", e.schedule.min_lr);
  e.schedule.by_epoch = schedule.get<bool>("by_epoch", e.schedule.by_epoch);
  schedule.finish();

  auto ema = root.section("ema");
  e.ema.enabled = ema.get<bool>("enabled", e.ema.enabled);
  e.ema.decay = ema.get<double>("decay", e.ema.decay);
  if (ema.has("momentum")) e.ema.decay = 1.0 - ema.get<double>("momentum", 0.0);
  (void)ema.node("momentum");
  e.ema.interval = ema.get<int64_t>("interval", e.ema.interval);
  e.ema.evaluate = ema.get<bool>("evaluate", e.ema.evaluate);
  ema.finish();

  auto rt = root.section("runtime");
  e.runtime.seed = rt.get<uint64_t>("seed", e.runtime.seed);
  e.runtime.device = rt.get<std::string>("device", e.runtime.device);
  e.runtime.threads = static_cast<int>(rt.get<int64_t>("threads", e.runtime.threads));
  e.runtime.amp = rt.get<std::string>("amp", e.runtime.amp);
  e.runtime.channels_last = rt.get<std::string>("channels_last", e.runtime.channels_last);
  e.runtime.tf32 = rt.get<bool>("tf32", e.runtime.tf32);
  e.runtime.cudnn_benchmark = rt.get<bool>("cudnn_benchmark", e.runtime.cudnn_benchmark);
  e.runtime.activation_checkpointing = rt.get<bool>("activation_checkpointing", e.runtime.activation_checkpointing);
  e.runtime.fused_kernels = rt.get<std::string>("fused_kernels", e.runtime.fused_kernels);
  e.runtime.log_interval = rt.get<int64_t>("log_interval", e.runtime.log_interval);
  e.runtime.val_interval = rt.get<int64_t>("val_interval", e.runtime.val_interval);
  e.runtime.checkpoint_interval = rt.get<int64_t>("checkpoint_interval", e.runtime.checkpoint_interval);
  e.runtime.checkpoint_every_iters = rt.get<int64_t>("checkpoint_every_iters", e.runtime.checkpoint_every_iters);
  e.runtime.keep_checkpoints = rt.get<int64_t>("keep_checkpoints", e.runtime.keep_checkpoints);
  e.runtime.max_nonfinite_steps = rt.get<int64_t>("max_nonfinite_steps", e.runtime.max_nonfinite_steps);
  e.runtime.load_from = rt.get<std::string>("load_from", e.runtime.load_from);
  e.runtime.load_from_ema = rt.get<bool>("load_from_ema", e.runtime.load_from_ema);
  e.runtime.load_strict = rt.get<bool>("load_strict", e.runtime.load_strict);
  e.runtime.class_map = rt.get<std::string>("class_map", e.runtime.class_map);
  rt.finish();

  auto dist = root.section("distributed");
  e.distributed.backend = dist.get<std::string>("backend", e.distributed.backend);
  e.distributed.bucket_mb = dist.get<double>("bucket_mb", e.distributed.bucket_mb);
  e.distributed.timeout = dist.get<double>("timeout", e.distributed.timeout);
  dist.finish();
  root.finish();

  // Values that no key check can catch.
  const auto bad = [&](const std::string& key, const std::string& what) {
    throw ConfigError(config.origin(key) + ": config key '" + key + "' " + what);
  };
  if (e.model.num_classes < 1) bad("model.num_classes", "must be positive");
  if (e.train.batch_size < 1) bad("data.train.batch_size", "must be positive");
  if (e.val.batch_size < 1) bad("data.val.batch_size", "must be positive");
  if (e.train.workers < 1) bad("data.train.workers", "must be positive");
  if (e.optim.lr <= 0) bad("optim.lr", "must be positive");
  if (e.optim.total_batch < 0) bad("optim.total_batch", "must not be negative");
  if (e.optim.base_batch_size < 0) bad("optim.base_batch_size", "must not be negative");
  if (e.train.expected_size < 0) bad("data.train.expected_size", "must not be negative");
  if (e.distributed.backend != "auto" && e.distributed.backend != "gloo" && e.distributed.backend != "nccl") {
    bad("distributed.backend", "must be auto, gloo or nccl, got '" + e.distributed.backend + "'");
  }
  if (!(e.distributed.bucket_mb > 0)) bad("distributed.bucket_mb", "must be positive");
  if (!(e.distributed.timeout > 0)) bad("distributed.timeout", "must be positive (seconds)");
  if (e.schedule.epochs < 1) bad("schedule.epochs", "must be positive");
  if (e.schedule.warmup_epochs < 0 || e.schedule.warmup_epochs > e.schedule.epochs) {
    // Two values from possibly two places: name both.
    std::ostringstream what;
    what << "is " << e.schedule.warmup_epochs << ", but must lie between 0 and schedule.epochs, which is "
         << e.schedule.epochs << " (from " << config.origin("schedule.epochs") << ")";
    bad("schedule.warmup_epochs", what.str());
  }
  if (!(e.ema.decay > 0 && e.ema.decay < 1)) bad("ema.decay", "must lie in (0, 1)");
  if (e.runtime.amp != "auto" && e.runtime.amp != "off" && e.runtime.amp != "bf16" && e.runtime.amp != "fp16") {
    bad("runtime.amp", "must be auto, off, bf16 or fp16, got '" + e.runtime.amp + "'");
  }
  if (e.runtime.channels_last != "auto" && e.runtime.channels_last != "true" && e.runtime.channels_last != "false") {
    bad("runtime.channels_last", "must be auto, true or false, got '" + e.runtime.channels_last + "'");
  }
  if (e.runtime.fused_kernels != "auto" && e.runtime.fused_kernels != "off" && e.runtime.fused_kernels != "always") {
    bad("runtime.fused_kernels", "must be auto, off or always, got '" + e.runtime.fused_kernels + "'");
  }
  if (e.runtime.device != "cpu" && e.runtime.device.rfind("cuda", 0) != 0) {
    bad("runtime.device", "must be cpu or cuda[:N], got '" + e.runtime.device + "'");
  }
  return e;
}

}  // namespace hornet::config

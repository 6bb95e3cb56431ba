// The typed training/evaluation config, read from a resolved Config with every
// key checked. Defaults follow the official HorNet ImageNet-1k recipe
// (docs/training.md); configs/ holds the published recipes. The struct members
// hold the defaults; experiment.cpp holds the one table of keys (path, type,
// allowed values, documentation, resume policy, command-line option) from
// which parsing, checking, the resume check, --help and docs/training.md's
// config reference all come.
//
//   model:    arch, num_classes, drop_path_rate, layer_scale_init_value
//   data:     train / val datasets, batch size, workers, pipelines, mixup
//   optim:    AdamW, weight decay, layer decay, clipping, total batch, LR scaling
//   schedule: epochs, warmup, cosine minimum, per-iteration or per-epoch
//   ema:      decay or momentum, interval, evaluation on the EMA weights
//   runtime:  seed, device, threads, AMP, logging, checkpoints, resume, load_from
//   distributed: backend, gradient bucket size, collective timeout
#pragma once

#include "hornet/config/choices.h"
#include "hornet/config/config.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/data/pipeline.h"
#include "hornet/models/arch.h"
#include "hornet/models/hornet.h"

#include <utility>
#include <functional>
#include <string>

namespace hornet::config {

// The members hold the defaults; what each means, its allowed values and its
// resume policy are in the key table (experiment.cpp; hornet-train --config-reference).

struct ModelConfig {
  models::ArchSpec arch = models::arch_by_name("tiny");
  int64_t num_classes = 1000;
  double drop_path_rate = 0.0;
  double layer_scale_init_value = 1e-6;
  models::InitScheme init = models::InitScheme::kOfficial;
  int64_t frozen_stages = -1;
};

struct DatasetConfig {
  std::string root;
  std::string split;
  std::string data_prefix;
  std::string class_names;
};

struct TrainDataConfig {
  DatasetConfig dataset;
  int64_t batch_size = 64;
  int64_t expected_size = 0;
  int workers = 4;
  int prefetch = 2;
  int64_t shuffle_buffer = 8192;
  int shard_streams = 4;
  data::TrainPipelineOptions pipeline;
  data::MixupOptions mixup;
};

struct ValDataConfig {
  DatasetConfig dataset;
  int64_t batch_size = 64;
  int workers = 4;
  data::EvalPipelineOptions pipeline;
};

struct OptimConfig {
  double lr = 4e-3;
  double weight_decay = 0.05;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double layer_decay = 1.0;
  double clip_grad = 0.0;
  int64_t total_batch = 0;
  int64_t base_batch_size = 0;
};

struct ScheduleConfig {
  int64_t epochs = 300;
  double warmup_epochs = 20;
  double warmup_start_factor = 0.0;
  double min_lr = 1e-6;
  bool by_epoch = false;
};

struct EmaConfig {
  bool enabled = false;
  double decay = 0.9999;
  int64_t interval = 1;
  bool evaluate = true;
};

struct RuntimeConfig {
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;
  AmpSetting amp = AmpSetting::kAuto;
  ChannelsLast channels_last = ChannelsLast::kAuto;
  bool tf32 = true;
  bool cudnn_benchmark = true;
  bool activation_checkpointing = false;
  ops::kernels::FusedMode fused_kernels = ops::kernels::FusedMode::kAuto;
  int64_t log_interval = 10;
  bool tensorboard = true;
  int64_t val_interval = 1;
  int64_t checkpoint_interval = 1;
  int64_t checkpoint_every_iters = 0;
  int64_t keep_checkpoints = 3;
  int64_t max_nonfinite_steps = 5;
  std::string load_from;
  bool load_from_ema = false;
  bool load_strict = true;
  std::string class_map;
};

struct DistributedConfig {
  distributed::Backend backend = distributed::Backend::kAuto;
  double bucket_mb = 25.0;
  double timeout = 1800.0;
};

struct ExperimentConfig {
  ModelConfig model;
  TrainDataConfig train;
  ValDataConfig val;
  OptimConfig optim;
  ScheduleConfig schedule;
  EmaConfig ema;
  RuntimeConfig runtime;
  DistributedConfig distributed;
};

/// Reads every section, rejecting unknown keys and wrong types with the file
/// and key at fault.
ExperimentConfig parse_experiment(const Config& config);

/// One key of the table.
struct KeyInfo {
  std::string path;          ///< "optim.lr"
  std::string type;          ///< "float", "int", "bool", "string", "choice", "[float, float]", ...
  std::string default_text;  ///< the default, as YAML would spell it
  std::string allowed;       ///< "> 0", "auto, off, bf16 or fp16", "" (anything of the type)
  std::vector<std::string> choices;  ///< a choice's names
  std::string doc;
  bool changes_run = true;  ///< changing it on resume changes what the run computes
  std::string option;       ///< the hornet-train option that sets it ("--amp"), or ""
  /// What is wrong with `text` (YAML) as this key's value, "" when nothing:
  /// the check an option applies before any config is read.
  std::function<std::string(const std::string& text)> check;
};

/// Every key, in the order docs/training.md lists them.
const std::vector<KeyInfo>& experiment_keys();

/// Whether changing `path` (a key, or a path below one such as
/// model.arch.depths) on resume changes the run; unknown paths do.
bool key_changes_run(const std::string& path);

/// The config reference: a Markdown table per section, generated from the key table.
std::string config_reference_markdown();

/// The keys other code names in its messages, spelt here once.
namespace keys {
inline constexpr const char* kRuntimeDevice = "runtime.device";
inline constexpr const char* kLoadFrom = "runtime.load_from";
inline constexpr const char* kLoadStrict = "runtime.load_strict";
inline constexpr const char* kNumClasses = "model.num_classes";
inline constexpr const char* kTrainRoot = "data.train.root";
inline constexpr const char* kTrainBatchSize = "data.train.batch_size";
inline constexpr const char* kExpectedSize = "data.train.expected_size";
inline constexpr const char* kValRoot = "data.val.root";
inline constexpr const char* kLr = "optim.lr";
inline constexpr const char* kTotalBatch = "optim.total_batch";
inline constexpr const char* kBaseBatchSize = "optim.base_batch_size";
inline constexpr const char* kTimeout = "distributed.timeout";
}  // namespace keys

/// An arch given in a config: a zoo name, or a map with base_dim, depths,
/// orders and mixers ("dw7", "gf14x8", ...); `image_size` optional.
models::ArchSpec parse_arch(Section& model);

/// "dw7" / "gf14x8" -> MixerSpec.
models::MixerSpec parse_mixer(const std::string& text);

}  // namespace hornet::config

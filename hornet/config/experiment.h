// The typed training/evaluation config, read from a resolved Config with every
// key checked. Defaults follow the official HorNet ImageNet-1k recipe
// (docs/training.md); configs/ holds the published recipes.
//
//   model:    arch, num_classes, drop_path_rate, layer_scale_init_value
//   data:     train / val datasets, batch size, workers, pipelines, mixup
//   optim:    AdamW, weight decay, layer decay, clipping, total batch, LR scaling
//   schedule: epochs, warmup, cosine minimum, per-iteration or per-epoch
//   ema:      decay or momentum, interval, evaluation on the EMA weights
//   runtime:  seed, device, threads, AMP, logging, checkpoints, resume, load_from
//   distributed: backend, gradient bucket size, collective timeout
#pragma once

#include "hornet/config/config.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/data/pipeline.h"
#include "hornet/models/arch.h"
#include "hornet/models/hornet.h"

#include <array>
#include <string>

namespace hornet::config {

struct ModelConfig {
  models::ArchSpec arch = models::arch_by_name("tiny");
  int64_t num_classes = 1000;
  double drop_path_rate = 0.0;
  double layer_scale_init_value = 1e-6;
  /// "official" (trunc-normal convs and linears) or "mmpretrain" (linears only).
  models::InitScheme init = models::InitScheme::kOfficial;
};

struct DatasetConfig {
  /// A folder (ImageFolder, or an ImageNet root with `split`) or an annotation file.
  std::string root;
  std::string split;
  /// Prefix of the annotation file's relative paths (default: its folder).
  std::string data_prefix;
  /// Optional class-names file (one per line).
  std::string class_names;
};

struct TrainDataConfig {
  DatasetConfig dataset;
  int64_t batch_size = 64;  ///< per device and micro-batch (the recipe's micro-batch)
  /// Images in the dataset as the recipe expects it; only `--dry-run` uses it
  /// (to count steps without reading the data). 0: unknown.
  int64_t expected_size = 0;
  int workers = 4;
  int prefetch = 2;
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
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  /// Layer-wise LR decay (the official 14-group assignment); 1 disables it.
  double layer_decay = 1.0;
  /// Clip the gradients' total L2 norm to this; 0 disables clipping.
  double clip_grad = 0.0;
  /// Images per optimizer step over all devices (the published total batch);
  /// gradient accumulation is derived from it and the world size. 0: one
  /// micro-batch per device and step.
  int64_t total_batch = 0;
  /// `lr` is meant for this total batch; a different `total_batch` scales it
  /// linearly (and says so). 0 uses `lr` as given.
  int64_t base_batch_size = 0;
};

struct ScheduleConfig {
  int64_t epochs = 300;
  double warmup_epochs = 20;
  /// Warmup starts at lr * this factor (0: from zero, as the official code).
  double warmup_start_factor = 0.0;
  double min_lr = 1e-6;
  /// Step the cosine once per epoch (mmpretrain) instead of every iteration (official).
  bool by_epoch = false;
};

struct EmaConfig {
  bool enabled = false;
  /// ema = decay * ema + (1 - decay) * weights (timm); mmengine's momentum m is decay = 1 - m.
  double decay = 0.9999;
  int64_t interval = 1;  ///< optimizer steps between updates
  bool evaluate = true;  ///< validate (and pick `best`) on the EMA weights
};

struct RuntimeConfig {
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;            ///< intra-op threads; 0: one per core
  /// auto (bf16 on CUDA devices with bf16, else off), off, bf16 or fp16 (CUDA).
  std::string amp = "auto";
  /// Channels-last activations and convolution weights: auto (on CUDA), true, false.
  std::string channels_last = "auto";
  bool tf32 = true;             ///< CUDA: float32 matrix products and convolutions may use TF32
  bool cudnn_benchmark = true;  ///< CUDA: cuDNN picks the fastest algorithm per input shape
  /// Keep only each block's input in training and recompute the block in the
  /// backward pass (less memory, about a third more compute).
  bool activation_checkpointing = false;
  /// The fused gnConv kernels: auto (on CUDA when built), off, or always (the
  /// CPU twin too: slow, for checking the wiring).
  std::string fused_kernels = "auto";
  int64_t log_interval = 10;  ///< iterations between log lines
  int64_t val_interval = 1;   ///< epochs between validations (0: never)
  int64_t checkpoint_interval = 1;  ///< epochs between checkpoints
  /// Also save `last.pth` every this many iterations (0: only at epoch ends).
  int64_t checkpoint_every_iters = 0;
  int64_t keep_checkpoints = 3;     ///< epoch checkpoints kept (besides last and best)
  int64_t max_nonfinite_steps = 5;  ///< consecutive skipped steps before stopping
  /// Start from these weights (any checkpoint format hornet reads).
  std::string load_from;
  bool load_from_ema = false;
  /// load_from must fill the whole backbone (every tensor present, of the
  /// model's shape); false fine-tunes from whatever fits.
  bool load_strict = true;
  /// For load_from: slice the head through this class index file.
  std::string class_map;
};

struct DistributedConfig {
  /// "auto" (NCCL on CUDA, Gloo on the CPU), "gloo" or "nccl".
  std::string backend = "auto";
  /// Gradients are all-reduced in buckets of about this many MiB (DDP's default).
  double bucket_mb = 25.0;
  /// Seconds a rendezvous or collective may wait for the other ranks before
  /// the run stops with an error naming the rank that is missing.
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

/// An arch given in a config: a zoo name, or a map with base_dim, depths,
/// orders and mixers ("dw7", "gf14x8", ...); `image_size` optional.
models::ArchSpec parse_arch(Section& model);

/// "dw7" / "gf14x8" -> MixerSpec.
models::MixerSpec parse_mixer(const std::string& text);

}  // namespace hornet::config

// Config files: _base_ inheritance, merging, overrides, and errors that name
// the file, the key and the closest valid key.
#include "hornet/config/experiment.h"
#include "hornet/engine/plan.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace hornet;
using namespace hornet::config;
using Catch::Matchers::Contains;

namespace {
std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  const auto path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("config: bases merge in order, maps deeply, lists replace, _delete_ replaces", "[config]") {
  const auto dir = test::temp_dir("config");
  std::filesystem::create_directories(dir + "/base");
  write(dir + "/base", "model.yaml", "model:\n  arch: tiny\n  num_classes: 1000\n  drop_path_rate: 0.1\n");
  write(dir + "/base", "optim.yaml",
        "optim:\n  lr: 0.004\n  betas: [0.9, 0.999]\nschedule:\n  epochs: 300\n  warmup_epochs: 20\n");
  write(dir + "/base", "data.yaml", "data:\n  train:\n    pipeline:\n      rand_augment: {magnitude: 9, num_ops: 2}\n");
  const auto path = write(dir, "exp.yaml",
                          "_base_: [base/model.yaml, base/optim.yaml, base/data.yaml]\n"
                          "model:\n  drop_path_rate: 0.2\n"
                          "optim:\n  betas: [0.85, 0.99]\n"
                          "data:\n  train:\n    pipeline:\n      rand_augment:\n        _delete_: true\n        magnitude: 15\n");
  auto cfg = Config::load(path);
  const auto& r = cfg.root();
  CHECK(r["model"]["arch"].as<std::string>() == "tiny");
  CHECK(r["model"]["drop_path_rate"].as<double>() == 0.2);
  CHECK(r["optim"]["lr"].as<double>() == 0.004);
  CHECK(r["optim"]["betas"][0].as<double>() == 0.85);  // lists replace
  CHECK(r["data"]["train"]["pipeline"]["rand_augment"]["magnitude"].as<int>() == 15);
  CHECK_FALSE(r["data"]["train"]["pipeline"]["rand_augment"]["num_ops"]);  // replaced, not merged
  CHECK(cfg.origin("model.drop_path_rate") == path);
  CHECK_THAT(cfg.origin("model.num_classes"), Contains("base/model.yaml"));

  cfg.set("optim.lr=1e-3");
  cfg.set("runtime.amp=bf16");
  cfg.set("model.arch={base_dim: 16, depths: [1, 1, 1, 1], mixers: [dw7, dw7, gf8x5, gf4x3]}");
  CHECK(cfg.root()["optim"]["lr"].as<double>() == 1e-3);
  CHECK(cfg.origin("optim.lr") == "--set");
  const auto e = parse_experiment(cfg);
  CHECK(e.runtime.amp == AmpSetting::kBf16);
  CHECK(e.model.arch.base_dim == 16);
  CHECK(e.model.arch.mixers[2] == models::MixerSpec::global_local(8, 5));
  CHECK(e.optim.betas.first == 0.85);
  // The resolved config reads back to the same experiment.
  const auto again = parse_experiment(Config::from_string(cfg.dump()));
  CHECK(again.model.arch.mixers == e.model.arch.mixers);
  CHECK(again.optim.lr == e.optim.lr);
}

TEST_CASE("config: unknown keys, wrong types and bad values name the file and key", "[config][errors]") {
  const auto dir = test::temp_dir("config-errors");
  const auto base = write(dir, "base.yaml", "optim:\n  lr: 0.004\n");
  const auto exp = write(dir, "exp.yaml", "_base_: base.yaml\noptim:\n  weight_decy: 0.1\n");
  CHECK_THROWS_WITH(parse_experiment(Config::load(exp)),
                    Contains("exp.yaml: unknown config key 'optim.weight_decy' (did you mean 'optim.weight_decay'?)"));
  auto betas = Config::load(base);
  betas.set("optim.betas=[0.8]");
  CHECK_THROWS_WITH(parse_experiment(betas), Contains("config key 'optim.betas' must be a list of two numbers"));
  const auto typo = write(dir, "typo.yaml", "_base_: base.yaml\nschedule:\n  epohcs: 10\n");
  CHECK_THROWS_WITH(parse_experiment(Config::load(typo)),
                    Contains("typo.yaml") && Contains("'schedule.epohcs' (did you mean 'schedule.epochs'?)"));
  const auto far = write(dir, "far.yaml", "runtime:\n  zzzzzzzz: 1\n");
  CHECK_THROWS_WITH(parse_experiment(Config::load(far)), Contains("valid keys here:") && Contains("seed"));
  const auto type = write(dir, "type.yaml", "_base_: base.yaml\nschedule:\n  epochs: ten\n");
  CHECK_THROWS_WITH(parse_experiment(Config::load(type)),
                    Contains("type.yaml: config key 'schedule.epochs' must be an integer, got ten"));
  auto lr = Config::load(base);
  lr.set("optim.lr=-1");
  CHECK_THROWS_WITH(parse_experiment(lr), Contains("--set: config key 'optim.lr' must be positive"));
  auto amp = Config::load(base);
  amp.set("runtime.amp=fp8");
  CHECK_THROWS_WITH(parse_experiment(amp), Contains("runtime.amp") && Contains("fp8"));
  auto arch = Config::load(base);
  arch.set("model.arch=huge");
  CHECK_THROWS_WITH(parse_experiment(arch), Contains("model.arch") && Contains("unknown HorNet arch 'huge'"));
  auto mixer = Config::load(base);
  mixer.set("model.arch={base_dim: 16, mixers: [dw7, dw7, gf, dw7]}");
  CHECK_THROWS_WITH(parse_experiment(mixer), Contains("--set: config key 'model.arch.mixers' entry 2") &&
                                                 Contains("mixer 'gf'"));
  auto even = Config::load(base);
  even.set("model.arch={base_dim: 16, mixers: [dw7, dw6, dw7, dw7]}");
  CHECK_THROWS_WITH(parse_experiment(even), Contains("config key 'model.arch'") && Contains("mixers[1] = dw6") &&
                                                Contains("odd"));
  auto custom = Config::load(base);
  custom.set("model.arch={base_dim: 6, orders: [2, 3, 4, 6]}");
  CHECK_THROWS_WITH(parse_experiment(custom), Contains("model.arch") && Contains("stage 3 has 48 channels"));

  const auto cycle_a = write(dir, "a.yaml", "_base_: b.yaml\n");
  write(dir, "b.yaml", "_base_: a.yaml\n");
  CHECK_THROWS_WITH(Config::load(cycle_a), Contains("cycle"));
  const auto missing = write(dir, "missing.yaml", "_base_: nowhere.yaml\n");
  CHECK_THROWS_WITH(Config::load(missing), Contains("nowhere.yaml does not exist"));
  const auto bad_yaml = write(dir, "bad.yaml", "optim: [unclosed\n");
  CHECK_THROWS_WITH(Config::load(bad_yaml), Contains("bad.yaml") && Contains("invalid YAML"));
  CHECK_THROWS_WITH(Config::load(dir + "/absent.yaml"), Contains("cannot read"));
  auto base_cfg = Config::load(base);
  CHECK_THROWS_WITH(base_cfg.set("no-equals-sign"), Contains("expected key.path=value"));
}

TEST_CASE("config: the default experiment follows the official recipe", "[config]") {
  const auto e = parse_experiment(Config::from_string("{}"));
  CHECK(e.optim.lr == 4e-3);
  CHECK(e.optim.weight_decay == 0.05);
  CHECK(e.schedule.warmup_epochs == 20);
  CHECK(e.train.mixup.mixup_alpha == 0.8);
  CHECK(e.train.mixup.cutmix_alpha == 1.0);
  CHECK(e.train.mixup.label_smoothing == 0.1);
  CHECK(e.train.pipeline.rand_augment.magnitude == 9);
  CHECK(e.train.pipeline.random_erasing.probability == 0.25);
  CHECK(e.val.pipeline.resize == 256);
  CHECK(e.val.pipeline.crop == 224);
  auto momentum = Config::from_string("ema: {enabled: true, momentum: 4.0e-5}");
  CHECK(parse_experiment(momentum).ema.decay == Approx(1 - 4e-5));
  auto off = Config::from_string("data: {train: {pipeline: {rand_augment: false, random_erasing: false}}}");
  const auto e2 = parse_experiment(off);
  CHECK_FALSE(e2.train.pipeline.use_rand_augment);
  CHECK_FALSE(e2.train.pipeline.use_random_erasing);
}

TEST_CASE("recipes: every config parses and follows the official recipe", "[config][recipes]") {
  const std::string root = std::string(HORNET_SOURCE_DIR) + "/configs/";
  struct Expect {
    const char* file;
    const char* arch;
    double drop_path, clip, magnitude;
    int64_t batch, accumulation;
  };
  // TRAINING.md: drop path, clip, RandAugment magnitude; 4096 = batch x 8 GPUs x accumulation,
  // which hornet derives from the total batch and the world size.
  const Expect in1k[] = {
      {"hornet/hornet-tiny_8xb128_in1k.yaml", "tiny", 0.2, 100, 9, 128, 4},
      {"hornet/hornet-tiny-gf_8xb128_in1k.yaml", "tiny-gf", 0.2, 1, 9, 128, 4},
      {"hornet/hornet-small_8xb64_in1k.yaml", "small", 0.4, 5, 9, 64, 8},
      {"hornet/hornet-small-gf_8xb64_in1k.yaml", "small-gf", 0.4, 1, 12, 64, 8},
      {"hornet/hornet-base_8xb64_in1k.yaml", "base", 0.5, 5, 9, 64, 8},
      {"hornet/hornet-base-gf_8xb64_in1k.yaml", "base-gf", 0.5, 1, 15, 64, 8},
  };
  for (const auto& x : in1k) {
    INFO(x.file);
    const auto e = parse_experiment(Config::load(root + x.file));
    CHECK(e.model.arch.name == x.arch);
    CHECK(e.model.drop_path_rate == x.drop_path);
    CHECK(e.optim.clip_grad == x.clip);
    CHECK(e.train.pipeline.rand_augment.magnitude == x.magnitude);
    CHECK(e.optim.total_batch == 4096);
    CHECK(e.train.batch_size == x.batch);
    const auto on8 = engine::make_training_plan(e, 8, 0);
    CHECK(on8.accumulation == x.accumulation);
    CHECK(on8.total_batch == 4096);
    CHECK(on8.lr == 4e-3);
    CHECK_FALSE(on8.lr_scaled);
    CHECK(engine::make_training_plan(e, 1, 0).accumulation == 8 * x.accumulation);
    CHECK(e.optim.lr == 4e-3);
    CHECK(e.optim.base_batch_size == 4096);
    CHECK(e.optim.weight_decay == 0.05);
    CHECK(e.schedule.epochs == 300);
    CHECK(e.schedule.warmup_epochs == 20);
    CHECK(e.ema.enabled);
    CHECK(e.ema.decay == 0.9999);
    CHECK(e.val.pipeline.resize == 256);
    CHECK(e.val.pipeline.crop == 224);
    CHECK_FALSE(e.val.pipeline.square_resize);
  }
  for (const char* f : {"hornet/hornet-large_64xb32_in22k.yaml", "hornet/hornet-large-gf_64xb32_in22k.yaml"}) {
    INFO(f);
    const auto e = parse_experiment(Config::load(root + f));
    CHECK(e.model.drop_path_rate == 0.2);
    CHECK(e.optim.weight_decay == 0.1);
    CHECK(e.optim.total_batch == 4096);
    CHECK(engine::make_training_plan(e, 64, 0).accumulation == 2);  // 64 GPUs x 32 x 2
    CHECK(engine::make_training_plan(e, 64, 0).lr == 4e-3);
    CHECK(e.schedule.epochs == 90);
    CHECK(e.schedule.warmup_epochs == 5);
    CHECK_FALSE(e.ema.enabled);
    CHECK(e.runtime.val_interval == 0);
  }
  for (const char* f : {"hornet/hornet-large_32xb16_in22k-pre_384px_in1k.yaml",
                        "hornet/hornet-large-gf_32xb16_in22k-pre_384px_in1k.yaml"}) {
    INFO(f);
    const auto e = parse_experiment(Config::load(root + f));
    CHECK(e.optim.lr == 5e-5);
    CHECK(e.optim.total_batch == 512);
    CHECK(engine::make_training_plan(e, 32, 0).accumulation == 1);  // 32 GPUs x 16
    CHECK(engine::make_training_plan(e, 1, 0).lr == 5e-5);
    CHECK(e.optim.layer_decay == 0.7);
    CHECK(e.optim.weight_decay == 1e-8);
    CHECK(e.optim.clip_grad == 1.0);
    CHECK(e.model.drop_path_rate == 0.4);
    CHECK(e.schedule.epochs == 30);
    CHECK(e.schedule.warmup_epochs == 0);
    CHECK(e.train.pipeline.size == 384);
    CHECK(e.train.mixup.mixup_alpha == 0.0);
    CHECK(e.train.mixup.cutmix_alpha == 0.0);
    CHECK(e.val.pipeline.square_resize);
    CHECK(e.val.pipeline.crop == 384);
    CHECK(e.ema.enabled);
    CHECK_FALSE(e.runtime.class_map.empty());
  }
  CHECK(parse_experiment(Config::load(root + "hornet/hornet-large-gf_32xb16_in22k-pre_384px_in1k.yaml"))
            .model.arch.mixers[2] == models::MixerSpec::global_local(24, 13));
  CHECK_NOTHROW(parse_experiment(Config::load(root + "toy/hornet-toy_1xb32_shapes.yaml")));
}

TEST_CASE("plan: accumulation follows from the total batch and the world size, the LR scales only on purpose",
          "[config][plan]") {
  auto e = parse_experiment(Config::from_string("data: {train: {batch_size: 64}}\noptim: {total_batch: 4096, "
                                                "lr: 4.0e-3, base_batch_size: 4096}\nschedule: {epochs: 300, "
                                                "warmup_epochs: 20}\n"));
  // ImageNet-1k on one process: 1281167 / 64 = 20018 batches, 312 whole steps of 64 micro-batches.
  const auto one = engine::make_training_plan(e, 1, 1281167);
  CHECK(one.accumulation == 64);
  CHECK(one.steps_per_epoch == 312);
  CHECK(one.warmup_steps == 20 * 312);
  CHECK(one.total_steps == 300 * 312);
  CHECK(one.micro_batches_per_epoch() == 312 * 64);
  // On 8 ranks each rank reads ceil(1281167 / 8) = 160146 samples: 2502 batches, 312 steps of 8.
  const auto eight = engine::make_training_plan(e, 8, 1281167);
  CHECK(eight.accumulation == 8);
  CHECK(eight.steps_per_epoch == 312);
  CHECK(eight.lr == 4e-3);
  // 3 ranks x 64 = 192 images a round does not divide 4096: refused, naming the keys.
  CHECK_THROWS_WITH(engine::make_training_plan(e, 3, 0),
                    Contains("optim.total_batch 4096") && Contains("data.train.batch_size 64") &&
                        Contains("world size 3") && Contains("cannot be split evenly over 3 devices"));
  // 2048 images per device are not a whole number of micro-batches of 48; 16 would be.
  auto odd = e;
  odd.train.batch_size = 48;
  CHECK_THROWS_WITH(engine::make_training_plan(odd, 2, 0), Contains("data.train.batch_size=16 divides them"));
  // A total batch changed on purpose: the LR follows linearly, and the plan says so.
  e.optim.total_batch = 1024;
  const auto smaller = engine::make_training_plan(e, 1, 0);
  CHECK(smaller.lr == Approx(1e-3));
  CHECK(smaller.lr_scaled);
  CHECK(smaller.describe()[1].find("scaled linearly") != std::string::npos);
  // No total batch: one micro-batch per device and step.
  e.optim.total_batch = 0;
  CHECK(engine::make_training_plan(e, 2, 0).total_batch == 128);
  CHECK(engine::make_training_plan(e, 2, 0).accumulation == 1);
  // Fewer images than one step.
  CHECK_THROWS_WITH(engine::make_training_plan(e, 1, 63), Contains("no optimizer step"));
  // accumulation is derived, never set.
  CHECK_THROWS_WITH(parse_experiment(Config::from_string("optim: {accumulation: 4}\n")),
                    Contains("optim.accumulation is derived") && Contains("optim.total_batch"));
}

TEST_CASE("config: a rule between two keys names both values and where each was set", "[config][errors]") {
  auto cfg = Config::from_string("schedule: {epochs: 300, warmup_epochs: 2}\n", "base.yaml");
  cfg.set("schedule.epochs=1");
  CHECK_THROWS_WITH(parse_experiment(cfg),
                    Contains("base.yaml: config key 'schedule.warmup_epochs' is 2, but must lie between 0 and "
                             "schedule.epochs, which is 1 (from --set)"));
}

// The recipe's training step against a Python re-implementation
// (tests/reference/make_fixtures.py: make_training_case): torch.optim.AdamW with
// the official parameter groups and layer decay, the official warmup + cosine
// schedule, clipping, gradient accumulation and timm's EMA, on the same initial
// weights and batches. Also the schedules, groups, the fp16 loss scaler and the
// non-finite-step handling.
#include "hornet/config/experiment.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/io/state_dict.h"
#include "hornet/engine/loss.h"
#include "hornet/engine/train_step.h"
#include "hornet/io/npy.h"
#include "hornet/common/torch_compat.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cstdio>

using namespace hornet;
using namespace hornet::engine;
using Catch::Matchers::Contains;

namespace {
std::string dir() { return test::fixture_dir() + "/training/"; }
std::string batch(int k, const char* what) {
  char name[32];
  std::snprintf(name, sizeof name, "%02d_%s.npy", k, what);
  return dir() + "batches/" + name;
}
}  // namespace

namespace {
// The Python reference's 20 steps, with the model set up as a run on `setup` would.
void check_reference_training(const DeviceSetup& setup) {
  const auto experiment = config::parse_experiment(config::Config::load(dir() + "config.yaml"));
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(experiment.model.arch))
                                    .num_classes(experiment.model.num_classes));
  REQUIRE(io::load_state_dict(*model, test::read_npy_dir(dir() + "initial")).clean());
  place_model(*model, setup);
  const auto plan = make_training_plan(experiment, /*world_size=*/1, /*dataset_size=*/40);
  REQUIRE(plan.accumulation == 2);  // total batch 8 of micro-batches of 4
  REQUIRE(plan.steps_per_epoch == 5);
  TrainStep step(model, experiment, plan, AmpMode::kOff);
  const auto losses = io::read_npy(dir() + "losses.npy");
  const auto lrs = io::read_npy(dir() + "lrs.npy");
  double worst_loss = 0, worst_lr = 0;
  int steps = 0;
  for (int k = 0; k < 40; ++k) {
    auto x = io::read_npy(batch(k, "x"));
    if (setup.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto r = step.run(x, io::read_npy(batch(k, "t")));
    const double want = losses[k].item<double>();
    worst_loss = std::max(worst_loss, std::abs(r.loss - want) / std::abs(want));
    if (k % 2 == 0) {
      const double lr_want = lrs[k / 2].item<double>();
      worst_lr = std::max(worst_lr, std::abs(r.lr - lr_want) / lr_want);
    }
    CHECK(r.optimizer_step == (k % 2 == 1));
    CHECK_FALSE(r.skipped);
    steps += r.optimizer_step;
  }
  INFO("worst relative loss error " << worst_loss << ", LR error " << worst_lr);
  CHECK(worst_loss <= 1e-5);
  CHECK(worst_lr <= 1e-12);
  CHECK(steps == 20);
  CHECK(step.state().step == 20);
  // The weights and the EMA after 20 steps.
  const auto final_weights = test::read_npy_dir(dir() + "final");
  const auto final_ema = test::read_npy_dir(dir() + "final_ema");
  double worst_w = 0, worst_e = 0;
  const auto ours = io::state_dict(*step.model());
  const auto ours_ema = io::state_dict(*step.ema()->module());
  for (const auto& [k, v] : final_weights) {
    worst_w = std::max(worst_w, test::max_abs_diff(ours.at(k), v) / (v.abs().max().item<double>() + 1e-12));
    worst_e = std::max(worst_e, test::max_abs_diff(ours_ema.at(k), final_ema.at(k)) /
                                    (final_ema.at(k).abs().max().item<double>() + 1e-12));
  }
  INFO("worst relative weight error " << worst_w << ", EMA " << worst_e);
  CHECK(worst_w <= 1e-5);
  CHECK(worst_e <= 1e-5);
}
}  // namespace

TEST_CASE("train step: 20 AdamW steps equal the Python re-implementation", "[engine][train]") {
  check_reference_training(DeviceSetup{});
}

TEST_CASE("train step: channels-last weights and inputs train as the Python re-implementation", "[engine][train]") {
  DeviceSetup setup;
  setup.channels_last = true;
  check_reference_training(setup);
}

TEST_CASE("train step: with activation checkpointing the steps equal the Python re-implementation",
          "[engine][train][checkpointing]") {
  DeviceSetup setup;
  setup.grad_checkpointing = true;
  check_reference_training(setup);
}

TEST_CASE("LR schedule: the official per-iteration warmup + cosine, and per-epoch cosine", "[engine][schedule]") {
  config::ScheduleConfig s;
  s.epochs = 10;
  s.warmup_epochs = 2;
  s.min_lr = 1e-6;
  const LrSchedule official(s, 4e-3, 100);
  CHECK(official.at(0) == 0.0);
  CHECK(official.at(199) == Approx(4e-3));  // linspace ends on the base LR
  CHECK(official.at(100) == Approx(4e-3 * 100 / 199));
  CHECK(official.at(200) == Approx(4e-3));  // cosine starts at the top
  CHECK(official.at(600) == Approx(1e-6 + 0.5 * (4e-3 - 1e-6) * (1 + std::cos(M_PI * 400 / 800))));
  CHECK(official.at(999) > 1e-6);
  s.by_epoch = true;
  s.warmup_start_factor = 1e-3;
  const LrSchedule mm(s, 4e-3, 100);
  CHECK(mm.at(0) == Approx(4e-6));
  CHECK(mm.at(100) == Approx(4e-3 * (1e-3 + (1 - 1e-3) * 0.5)));
  CHECK(mm.at(250) == mm.at(299));  // constant within an epoch
  CHECK(mm.at(300) == Approx(1e-6 + 0.5 * (4e-3 - 1e-6) * (1 + std::cos(M_PI * 1 / 8))));
}

TEST_CASE("optimizer: the official groups, weight decay and layer decay", "[engine][optimizer]") {
  CHECK(layer_id("backbone.downsample_layers.0.0.weight") == 0);
  CHECK(layer_id("backbone.stages.0.1.norm1.weight") == 1);
  CHECK(layer_id("backbone.stages.1.2.gamma1.weight") == 2);
  CHECK(layer_id("backbone.downsample_layers.1.1.weight") == 2);
  CHECK(layer_id("backbone.downsample_layers.2.0.bias") == 3);
  CHECK(layer_id("backbone.stages.2.0.pwconv1.weight") == 3);
  CHECK(layer_id("backbone.stages.2.7.pwconv1.weight") == 6);
  CHECK(layer_id("backbone.stages.2.17.pwconv1.weight") == 11);
  CHECK(layer_id("backbone.stages.3.1.gnconv.projs.0.weight") == 12);
  CHECK(layer_id("backbone.downsample_layers.3.1.weight") == 12);
  CHECK(layer_id("backbone.norm3.weight") == 13);
  CHECK(layer_id("head.fc.weight") == 13);
  models::ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(3));
  config::OptimConfig c;
  c.layer_decay = 0.7;
  const auto opt = make_optimizer(*model, c);
  int64_t total = 0;
  for (const auto& g : opt.groups) {
    total += static_cast<int64_t>(g.params.size());
    for (const auto& name : g.params) {
      const auto p = io::state_dict(*model).at(name);
      INFO(name);
      const bool no_decay = p.dim() == 1 || name.substr(name.size() - 5) == ".bias";
      CHECK(g.weight_decay == (no_decay ? 0.0 : 0.05));
      CHECK(g.lr_scale == Approx(std::pow(0.7, 13 - layer_id(name))));
    }
  }
  CHECK(total == static_cast<int64_t>(model->parameters().size()));
  // complex weights (4-D) decay, like the official rule.
  CHECK(scaled_lr(c, 1024) == 4e-3);
  c.base_batch_size = 4096;
  CHECK(scaled_lr(c, 1024) == Approx(1e-3));
}

TEST_CASE("optimizer: the multi-tensor AdamW step equals torch::optim::AdamW bit for bit, and clipping",
          "[engine][optimizer]") {
  // Two groups (with and without weight decay), one parameter that misses a step's gradient.
  torch::manual_seed(3);
  std::vector<torch::Tensor> a, b;
  for (const auto& shape : std::vector<std::vector<int64_t>>{{7, 5}, {5}, {3, 4, 2, 2}, {9}}) {
    a.push_back(torch::randn(shape).requires_grad_());
    b.push_back(a.back().detach().clone().requires_grad_());
  }
  const auto make = [](const std::vector<torch::Tensor>& p) {
    auto decay = torch::optim::AdamWOptions(4e-3).weight_decay(0.05).betas({0.9, 0.999}).eps(1e-8);
    auto none = torch::optim::AdamWOptions(4e-3).weight_decay(0.0).betas({0.9, 0.999}).eps(1e-8);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{p[0], p[2]}, std::make_unique<torch::optim::AdamWOptions>(decay));
    groups.emplace_back(std::vector<torch::Tensor>{p[1], p[3]}, std::make_unique<torch::optim::AdamWOptions>(none));
    return std::make_unique<torch::optim::AdamW>(groups, decay);
  };
  auto reference = make(a);
  Optimizer ours;
  ours.adamw = make(b);
  for (int k = 0; k < 6; ++k) {
    for (size_t i = 0; i < a.size(); ++i) {
      a[i].mutable_grad() = torch::Tensor();
      b[i].mutable_grad() = torch::Tensor();
      if (k == 2 && i == 3) continue;  // no gradient this step: its step count falls behind
      const auto g = torch::randn(a[i].sizes());
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
    }
    for (auto& group : reference->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(1e-3 * (k + 1));
    for (auto& group : ours.adamw->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(1e-3 * (k + 1));
    reference->step();
    ours.step();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("parameter " << i);
    CHECK(torch::equal(a[i], b[i]));
    const auto& sa = static_cast<torch::optim::AdamWParamState&>(*reference->state().at(common::optimizer_state_key(a[i])));
    const auto& sb = static_cast<torch::optim::AdamWParamState&>(*ours.adamw->state().at(common::optimizer_state_key(b[i])));
    CHECK(sa.step() == sb.step());
    CHECK(torch::equal(sa.exp_avg(), sb.exp_avg()));
    CHECK(torch::equal(sa.exp_avg_sq(), sb.exp_avg_sq()));
  }
  ours.clear_grads();
  for (const auto& p : b) CHECK_FALSE(p.grad().defined());

  // Clipping: the norm by hand in double, the scaled gradients as LibTorch's clip_grad_norm_ leaves them.
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto g = torch::randn(a[i].sizes());
    a[i].mutable_grad() = g.clone();
    b[i].mutable_grad() = g.clone();
    sum += g.to(torch::kFloat64).pow(2).sum().item<double>();
  }
  const double want = std::sqrt(sum);
  const double got = clip_grad_norm(b, 0.5 * want);
  CHECK(got == Approx(want).epsilon(1e-6));
  torch::nn::utils::clip_grad_norm_(a, 0.5 * want);
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::allclose(b[i].grad(), a[i].grad(), 1e-6, 1e-7));
  double clipped = 0;
  for (const auto& p : b) clipped += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
  CHECK(std::sqrt(clipped) == Approx(0.5 * want).epsilon(1e-5));
  // Below the limit nothing changes.
  const auto before = b[0].grad().clone();
  CHECK(clip_grad_norm(b, 10 * want) == Approx(0.5 * want).epsilon(1e-5));
  CHECK(torch::equal(b[0].grad(), before));
}

TEST_CASE("fp16 loss scaler: growth, back-off and skipped steps", "[engine][amp]") {
  GradScalerOptions o;
  o.init_scale = 1024;
  o.growth_interval = 3;
  GradScaler scaler(o);
  auto p = torch::ones({4}, torch::requires_grad());
  const auto loss = (p * 2).sum();
  CHECK(scaler.scale(loss).item<double>() == 8 * 1024);
  scaler.scale(loss).backward();
  CHECK(scaler.unscale({p}));
  CHECK(torch::allclose(p.grad(), torch::full({4}, 2.0)));  // unscaled
  scaler.update(true);
  scaler.update(true);
  CHECK(scaler.current_scale() == 1024);
  scaler.update(true);  // third finite step in a row: grow
  CHECK(scaler.current_scale() == 2048);
  p.mutable_grad().fill_(std::numeric_limits<float>::infinity());
  CHECK_FALSE(scaler.unscale({p}));
  scaler.update(false);  // back off, reset the run
  CHECK(scaler.current_scale() == 1024);
  CHECK(scaler.growth_tracker() == 0);
  GradScaler off(o, /*enabled=*/false);
  CHECK(off.scale(loss).item<double>() == 8);
}

TEST_CASE("train step: non-finite losses skip the update and are counted, and bf16 autocast trains",
          "[engine][train][amp]") {
  auto e = config::parse_experiment(config::Config::from_string(
      "model: {arch: {base_dim: 8, depths: [1, 1, 1, 1], mixers: [dw7, dw7, gf2x2, gf1x1], image_size: 32}, num_classes: 3}\n"
      "optim: {lr: 5.0e-3, clip_grad: 1.0}\nschedule: {epochs: 1, warmup_epochs: 0}\n"));
  torch::manual_seed(0);
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(e.model.arch)).num_classes(3));
  const auto plan = make_training_plan(e, 1, 400);
  TrainStep step(model, e, plan, AmpMode::kOff);
  const auto x = torch::randn({8, 3, 32, 32});
  const auto t = data::smooth_one_hot(torch::tensor({0, 1, 2, 0, 1, 2, 0, 1}), 3, 0.0);
  const auto before = io::state_dict(*model).at("head.fc.weight").clone();
  auto bad = x.clone();
  bad[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  const auto r = step.run(bad, t);
  CHECK(r.skipped);
  CHECK(step.state().nonfinite_in_a_row == 1);
  CHECK(torch::equal(io::state_dict(*model).at("head.fc.weight"), before));
  CHECK_FALSE(step.run(x, t).skipped);
  CHECK(step.state().nonfinite_in_a_row == 0);
  CHECK(step.state().nonfinite_total == 1);

  // A new epoch drops a partly accumulated step.
  auto acc = e;
  acc.optim.total_batch = 2 * acc.train.batch_size;
  TrainStep accumulating(model, acc, make_training_plan(acc, 1, 400), AmpMode::kOff);
  CHECK_FALSE(accumulating.run(x, t).optimizer_step);
  accumulating.start_epoch();
  CHECK_FALSE(accumulating.run(x, t).optimizer_step);
  CHECK(accumulating.run(x, t).optimizer_step);
  CHECK(accumulating.state().step == 1);

  // bf16 autocast on the CPU: the loss goes down, no divergence.
  torch::manual_seed(0);
  models::ImageClassifier model16(models::ImageClassifierOptions(models::HorNetOptions(e.model.arch)).num_classes(3));
  TrainStep bf16(model16, e, plan, AmpMode::kBf16);
  double first = 0, last = 0;
  for (int k = 0; k < 30; ++k) {
    const auto res = bf16.run(x, t);
    REQUIRE(std::isfinite(res.loss));
    if (k == 0) first = res.loss;
    last = res.loss;
  }
  CHECK(last < 0.5 * first);
  CHECK_THROWS_WITH(TrainStep(model16, e, plan, AmpMode::kFp16), Contains("fp16 autocast needs a CUDA device"));
}

TEST_CASE("losses and metrics", "[engine][loss]") {
  const auto logits = torch::tensor({{2.0f, 1.0f, 0.1f}, {0.5f, 2.5f, 0.3f}});
  const auto targets = torch::tensor({{1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}});
  const auto loss = soft_target_cross_entropy(logits, targets).item<double>();
  const double l0 = -std::log(std::exp(2.0) / (std::exp(2.0) + std::exp(1.0) + std::exp(0.1)));
  const double l1 = -std::log(std::exp(0.3) / (std::exp(0.5) + std::exp(2.5) + std::exp(0.3)));
  CHECK(loss == Approx((l0 + l1) / 2));
  const auto hits = topk_correct(logits, torch::tensor({0, 2}), {1, 2, 3});
  CHECK(hits == std::vector<int64_t>{1, 1, 2});
}

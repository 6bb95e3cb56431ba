// How a run uses its device (engine/device_setup.h) and activation
// checkpointing (ops/recompute.h), on the CPU: "auto" settings,
// the process-wide CUDA switches, channels-last inputs, and a recomputed block
// that repeats its drop-path draws and autocast type.
#include "hornet/config/experiment.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/engine/device_setup.h"
#include "hornet/models/classifier.h"
#include "hornet/ops/recompute.h"
#include "hornet/ops/autocast.h"

#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <optional>

using namespace hornet;
using namespace hornet::engine;
using Catch::Matchers::Contains;

namespace {
// A tiny HorNet for 32x32 inputs with depthwise and global-filter stages.
models::ArchSpec small_arch(std::vector<int64_t> depths) {
  models::ArchSpec a;
  a.base_dim = 8;
  a.depths = std::move(depths);
  a.mixers = {models::MixerSpec::depthwise(7), models::MixerSpec::depthwise(7), models::MixerSpec::global_local(2, 2),
              models::MixerSpec::global_local(1, 1)};
  a.input_size = 32;
  return a;
}
}  // namespace

TEST_CASE("device setup: auto settings resolve per device, and bad values are named", "[engine][device]") {
  const torch::Device cpu(torch::kCPU);
  using config::AmpSetting;
  CHECK(resolve_amp(AmpSetting::kAuto, cpu) == AmpMode::kOff);
  CHECK(resolve_amp(AmpSetting::kOff, cpu) == AmpMode::kOff);
  CHECK(resolve_amp(AmpSetting::kBf16, cpu) == AmpMode::kBf16);
  CHECK_THROWS_WITH(resolve_amp(AmpSetting::kFp16, cpu), Contains("fp16 autocast needs a CUDA device"));
  CHECK(config::parse_choice<AmpSetting>("bf16") == AmpSetting::kBf16);
  CHECK_THROWS_WITH(config::parse_choice<AmpSetting>("fp8"), Contains("must be auto, off, bf16 or fp16, got 'fp8'"));
  CHECK(autocast_type(AmpMode::kBf16) == torch::kBFloat16);
  CHECK(autocast_type(AmpMode::kFp16) == torch::kFloat16);
  CHECK(autocast_type(AmpMode::kOff) == c10::ScalarType::Undefined);

  const auto defaults = config::parse_experiment(config::Config::from_string("runtime: {device: cpu}\n"));
  const auto setup = resolve_device_setup(defaults.runtime, cpu);
  CHECK(setup.amp == AmpMode::kOff);  // the CPU's bf16 is slower than float32
  CHECK_FALSE(setup.channels_last);
  CHECK(setup.tf32);
  CHECK(setup.cudnn_benchmark);
  CHECK_FALSE(setup.grad_checkpointing);
  CHECK(setup.str() == "amp off");

  const auto chosen = config::parse_experiment(config::Config::from_string(
      "runtime: {amp: bf16, channels_last: true, activation_checkpointing: true, tf32: false}\n"));
  const auto s = resolve_device_setup(chosen.runtime, cpu);
  CHECK(s.amp == AmpMode::kBf16);
  CHECK(s.channels_last);
  CHECK_FALSE(s.tf32);
  CHECK(s.str() == "amp bf16, channels-last, activation checkpointing");
  CHECK_THROWS_WITH(config::parse_experiment(config::Config::from_string("runtime: {channels_last: yes-please}\n")),
                    Contains("runtime.channels_last") && Contains("yes-please"));
  CHECK_THROWS_WITH(config::parse_experiment(config::Config::from_string("runtime: {amp: fp8}\n")),
                    Contains("runtime.amp") && Contains("auto, off, bf16 or fp16"));
}

TEST_CASE("device setup: the TF32 and cuDNN benchmark switches are set process-wide", "[engine][device]") {
  auto& context = at::globalContext();
  const bool blas = context.allowTF32CuBLAS(), dnn = context.allowTF32CuDNN(), bench = context.benchmarkCuDNN();
  for (bool on : {false, true}) {
    DeviceSetup s;
    s.tf32 = on;
    s.cudnn_benchmark = !on;
    apply_math_switches(s);
    CHECK(context.allowTF32CuBLAS() == on);
    CHECK(context.allowTF32CuDNN() == on);
    CHECK(context.benchmarkCuDNN() == !on);
  }
  context.setAllowTF32CuBLAS(blas);
  context.setAllowTF32CuDNN(dnn);
  context.setBenchmarkCuDNN(bench);
}

TEST_CASE("device setup: channels-last conversion keeps values, and the normaliser's output is channels-last",
          "[engine][device]") {
  torch::manual_seed(0);
  models::ImageClassifier model(models::ImageClassifierOptions(
      models::HorNetOptions(small_arch({1, 1, 1, 1}))).num_classes(3));
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());
  const auto x = torch::randint(0, 256, {2, 3, 32, 32}, torch::kUInt8);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto expected = model->forward(data::normalize(x));
  convert_to_channels_last(*model);
  size_t converted = 0, k = 0;
  for (const auto& p : model->parameters()) {
    CHECK(torch::equal(p, before[k++]));
    if (p.dim() == 4 && p.size(2) * p.size(3) > 1 && p.size(1) > 1) {
      converted += p.is_contiguous(torch::MemoryFormat::ChannelsLast) && !p.is_contiguous();
    }
  }
  CHECK(converted > 0);
  const data::Normalizer normalize(torch::kCPU, /*channels_last=*/true);
  const auto input = normalize(x);
  CHECK(input.is_contiguous(torch::MemoryFormat::ChannelsLast));
  CHECK(torch::equal(input, data::normalize(x)));
  const auto got = model->forward(input);
  CHECK(torch::allclose(got, expected, 1e-5, 1e-5));
}

namespace {
struct Run {
  torch::Tensor loss;
  std::vector<torch::Tensor> grads;
  torch::Tensor rng_after;
};

// One forward and backward of a model with drop path, from a fixed CPU generator state.
Run train_once(models::ImageClassifier& model, const torch::Tensor& x, bool checkpointing,
               c10::ScalarType autocast = c10::ScalarType::Undefined) {
  model->train();
  model->zero_grad();
  model->backbone->set_grad_checkpointing(checkpointing);
  torch::manual_seed(7);
  Run r;
  {
    std::optional<ops::AutocastGuard> amp;
    if (autocast != c10::ScalarType::Undefined) amp.emplace(c10::DeviceType::CPU, autocast);
    r.loss = model->forward(x).to(torch::kFloat32).pow(2).mean();
  }
  r.loss.backward();
  for (const auto& p : model->parameters()) r.grads.push_back(p.grad().clone());
  r.rng_after = at::detail::getDefaultCPUGenerator().get_state();
  return r;
}
}  // namespace

TEST_CASE("activation checkpointing: the recomputed blocks give the same gradients, drop path and autocast included",
          "[engine][checkpointing]") {
  torch::manual_seed(0);
  // Stochastic depth draws a mask per block and call: the recomputation must draw the same ones.
  models::ImageClassifier model(
      models::ImageClassifierOptions(
          models::HorNetOptions(small_arch({2, 1, 2, 1})).drop_path_rate(0.5))
          .num_classes(3));
  const auto x = torch::randn({4, 3, 32, 32});
  for (auto type : {c10::ScalarType::Undefined, c10::ScalarType::BFloat16}) {
    INFO("autocast " << (type == c10::ScalarType::Undefined ? "off" : "bf16"));
    const auto plain = train_once(model, x, false, type);
    const auto recomputed = train_once(model, x, true, type);
    CHECK(plain.loss.item<double>() == recomputed.loss.item<double>());
    REQUIRE(plain.grads.size() == recomputed.grads.size());
    double worst = 0;
    for (size_t k = 0; k < plain.grads.size(); ++k) {
      const double scale = plain.grads[k].abs().max().item<double>() + 1e-12;
      worst = std::max(worst, (plain.grads[k] - recomputed.grads[k]).abs().max().item<double>() / scale);
    }
    INFO("worst relative gradient difference " << worst);
    CHECK(worst <= 1e-6);
    // The generator goes on from where the first forward left it.
    CHECK(torch::equal(plain.rng_after, recomputed.rng_after));
  }
  // Without a graph to build (evaluation, no_grad) the block simply runs.
  torch::NoGradGuard no_grad;
  int calls = 0;
  const auto y = ops::recompute_in_backward([&](const torch::Tensor& t) { ++calls; return t * 2; }, x);
  CHECK(calls == 1);
  CHECK(torch::equal(y, x * 2));
}

// The CUDA path on a GPU: the fused kernels against the composite LibTorch
// path and against their CPU twin, every zoo arch's logits against the CPU's,
// training steps with bf16, channels-last and activation checkpointing, the
// side-stream batch prefetcher, and the allocator's peak memory.
//
// Built everywhere (so it always compiles); CTest runs it only in CUDA builds
// (tests/CMakeLists.txt), where a missing GPU fails the first case.
#include "hornet/common/cuda_device.h"
#include "hornet/config/experiment.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/data/device_prefetch.h"
#include "hornet/data/loader.h"
#include "hornet/data/toy_dataset.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/ema.h"
#include "hornet/engine/evaluate.h"
#include "hornet/engine/train_step.h"
#include "hornet/io/state_dict.h"
#include "hornet/models/classifier.h"
#include "hornet/ops/autocast.h"
#include "hornet/ops/kernels/fused_ops.h"
#include "support/fixtures.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>

#include <torch/cuda.h>
#include <torch/torch.h>

#include <optional>

using namespace hornet;
namespace kernels = hornet::ops::kernels;
using hornet::test::gating_formula;
using hornet::test::TensorFn;

namespace {

const torch::Device kGpu(torch::kCUDA, 0);

// Float32 arithmetic everywhere: no TF32 in the reference products.
void exact_float32() {
  engine::DeviceSetup s;
  s.device = kGpu;
  s.tf32 = false;
  s.cudnn_benchmark = false;
  engine::apply_math_switches(s);
}

std::vector<torch::Tensor> on(const std::vector<torch::Tensor>& in, const torch::Device& device,
                              std::optional<torch::Dtype> dtype = std::nullopt) {
  std::vector<torch::Tensor> out;
  for (const auto& t : in) {
    auto moved = t.to(device);
    // Weights stay float32, as in the model under autocast; activations take the dtype.
    if (dtype && t.dim() >= 4) moved = moved.to(*dtype);
    out.push_back(moved);
  }
  return out;
}

TensorFn gating_fused(const std::vector<int64_t>& dims, double scale) {
  return [dims, scale](const std::vector<torch::Tensor>& in) {
    const size_t steps = dims.size() - 1;
    const std::vector<torch::Tensor> w(in.begin() + 2, in.begin() + 2 + static_cast<int64_t>(steps));
    const std::vector<torch::Tensor> b(in.begin() + 2 + static_cast<int64_t>(steps), in.end());
    return kernels::fused_gnconv_gating(in[0], in[1], w, b, dims, scale);
  };
}

const TensorFn layer_norm_fused = [](const std::vector<torch::Tensor>& in) {
  return kernels::fused_layer_norm_channels_first(in[0], in[1], in[2], 1e-6);
};
const TensorFn layer_norm_formula = [](const std::vector<torch::Tensor>& in) {
  return hornet::test::layer_norm_channels_first_formula(in[0], in[1], in[2], 1e-6);
};
const TensorFn spectrum_fused = [](const std::vector<torch::Tensor>& in) {
  return kernels::fused_spectrum_weight(in[0], in[1]);
};
const TensorFn interleave_fused = [](const std::vector<torch::Tensor>& in) {
  return kernels::fused_interleaved_norm(in[0], in[1], in[2], in[3], 1e-6);
};
struct OpCase {
  std::string name;
  TensorFn fused, formula;
  std::vector<torch::Tensor> inputs;  ///< on the CPU, float32
  bool bf16 = true;                   ///< the kernel takes bf16 activations
};

// Each fused op on odd sizes, NCHW and channels-last, and the 384 GF grids.
std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  torch::manual_seed(1);
  for (const bool cl : {false, true}) {
    const auto format = cl ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    const std::string tag = cl ? " channels-last" : " NCHW";
    cases.push_back({"layer norm" + tag, layer_norm_fused, layer_norm_formula,
                     {(0.5 + 2.0 * torch::randn({3, 97, 7, 9})).contiguous(format), torch::linspace(0.5, 1.5, 97),
                      torch::linspace(-0.2, 0.3, 97)}});
    const std::vector<int64_t> dims{6, 12, 24};
    const auto fused_in = torch::randn({2, 6 + 42, 5, 7}).contiguous(format);
    cases.push_back({"gating" + tag, gating_fused(dims, 1.0 / 3.0),
                     [dims](const std::vector<torch::Tensor>& in) { return gating_formula(in, dims, 1.0 / 3.0); },
                     {fused_in.narrow(1, 0, 6), torch::randn({2, 42, 5, 7}).contiguous(format),
                      0.3 * torch::randn({12, 6, 1, 1}), 0.3 * torch::randn({24, 12, 1, 1}), 0.1 * torch::randn({12}),
                      0.1 * torch::randn({24})}});
    cases.push_back({"interleave + norm" + tag, interleave_fused, hornet::test::interleaved_norm_formula,
                     {torch::randn({2, 7, 24, 24}).contiguous(format), torch::randn({2, 7, 24, 24}).contiguous(format),
                      torch::linspace(0.5, 1.5, 14), torch::linspace(-0.2, 0.3, 14)}});
  }
  for (const auto& grid : std::vector<std::pair<int64_t, int64_t>>{{14, 8}, {7, 4}, {24, 13}, {12, 7}}) {
    cases.push_back({"spectrum " + std::to_string(grid.first) + "x" + std::to_string(grid.second), spectrum_fused,
                     hornet::test::spectrum_weight_formula,
                     {torch::randn({3, 5, grid.first, grid.second, 2}), 0.02 * torch::randn({5, grid.first, grid.second, 2})},
                     false});
  }
  return cases;
}

models::ImageClassifier small_model(uint64_t seed, double drop_path = 0.0) {
  models::ArchSpec arch = models::arch_by_name("tiny");
  arch.name = "tiny-32";
  arch.base_dim = 16;
  arch.depths = {1, 1, 2, 1};
  arch.mixers = {models::MixerSpec::depthwise(7), models::MixerSpec::depthwise(7),
                 models::MixerSpec::global_local(2, 2), models::MixerSpec::global_local(1, 1)};
  arch.input_size = 32;
  torch::manual_seed(seed);
  return models::ImageClassifier(models::ImageClassifierOptions(
      models::HorNetOptions(arch).layer_scale_init_value(0.5).drop_path_rate(drop_path)).num_classes(5));
}

}  // namespace

TEST_CASE("cuda: a GPU is present and described", "[cuda]") {
  REQUIRE(torch::cuda::is_available());
  const auto info = common::cuda_device_info(0);
  INFO(info.name << " sm_" << info.major << info.minor);
  CHECK_FALSE(info.name.empty());
  CHECK(info.major >= 7);
  CHECK(info.total_memory > (int64_t{1} << 30));
  CHECK(engine::cuda_supports_bf16(0) == (info.major >= 8));
  CHECK(engine::resolve_amp(config::AmpSetting::kAuto, kGpu) == (info.major >= 8 ? engine::AmpMode::kBf16 : engine::AmpMode::kOff));
  common::cuda_reset_peak_memory(0);
  const auto big = torch::empty({64 << 20}, torch::TensorOptions().dtype(torch::kUInt8).device(kGpu));
  CHECK(common::cuda_peak_allocated_bytes(0) >= (int64_t{64} << 20));
}

TEST_CASE("cuda: fused kernels equal the composite path on the GPU (fp32, bf16) and their CPU twin", "[cuda]") {
  exact_float32();
  for (const auto& c : op_cases()) {
    INFO(c.name);
    // fp32: forward and every input gradient against the composite path on the GPU.
    hornet::test::check_against_reference(c.fused, c.formula, on(c.inputs, kGpu), 1e-4);
    // The same arithmetic as the CPU twin (hornet/ops/kernels/*_math.h).
    const auto gpu = c.fused(on(c.inputs, kGpu)).cpu();
    const auto cpu = c.fused(c.inputs);
    CHECK(hornet::test::max_rel_diff(gpu, cpu) < 1e-5);
    // Both devices give the output the same memory format.
    CHECK(gpu.suggest_memory_format() == cpu.suggest_memory_format());
    if (!c.bf16) continue;
    // bf16 activations, float32 accumulation: within bf16 rounding of the float32 result.
    const auto low = on(c.inputs, kGpu, torch::kBFloat16);
    const auto reference = c.formula(on(c.inputs, kGpu));
    const auto fused = c.fused(low);
    CHECK(fused.scalar_type() == torch::kBFloat16);
    CHECK(hornet::test::max_rel_diff(fused.to(torch::kFloat32), reference) < 2e-2);
    // The CPU twin in bf16 computes in float and rounds once on store, as the kernels do: within two bf16 units.
    const auto twin = c.fused(on(c.inputs, torch::kCPU, torch::kBFloat16));
    CHECK(hornet::test::max_rel_diff(fused.cpu(), twin) < 2.0 / 256);
  }
}

TEST_CASE("cuda: the model with fused kernels equals the composite path, forward and backward", "[cuda]") {
  exact_float32();
  for (const bool channels_last : {false, true}) {
    for (const auto amp : {engine::AmpMode::kOff, engine::AmpMode::kBf16}) {
      INFO((channels_last ? "channels-last" : "NCHW") << ", amp " << engine::amp_name(amp));
      auto model = small_model(4);
      model->to(kGpu);
      if (channels_last) engine::convert_to_channels_last(*model);
      torch::manual_seed(5);
      auto x = torch::randn({4, 3, 32, 32}).to(kGpu);
      if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      const auto r = torch::randn({4, 5}).to(kGpu);
      const auto run = [&](kernels::FusedMode mode) {
        kernels::set_fused_mode(mode);
        model->zero_grad();
        torch::Tensor logits;
        {
          std::optional<ops::AutocastGuard> guard;
          if (amp != engine::AmpMode::kOff) guard.emplace(c10::DeviceType::CUDA, engine::autocast_type(amp));
          logits = model->forward(x).to(torch::kFloat32);
        }
        (logits * r).sum().backward();
        std::vector<torch::Tensor> out{logits.detach()};
        for (const auto& p : model->parameters()) out.push_back(p.grad().clone());
        kernels::set_fused_mode(kernels::FusedMode::kAuto);
        return out;
      };
      REQUIRE(kernels::use_fused(x));  // auto: the kernels on CUDA
      const auto composite = run(kernels::FusedMode::kOff);
      const auto fused = run(kernels::FusedMode::kAuto);
      const double tolerance = amp == engine::AmpMode::kOff ? 1e-4 : 5e-2;
      CHECK(hornet::test::max_rel_diff(fused[0], composite[0]) < tolerance);
      double worst = 0.0;
      for (size_t k = 1; k < fused.size(); ++k) {
        worst = std::max(worst, hornet::test::max_rel_diff(fused[k], composite[k]));
      }
      INFO("worst relative gradient difference " << worst);
      CHECK(worst < tolerance);
    }
  }
}

TEST_CASE("cuda: every zoo arch's logits on the GPU (TF32 off, channels-last) equal the CPU's within 1e-3",
          "[cuda]") {
  exact_float32();
  for (const auto& arch : models::arch_zoo()) {
    INFO(arch.name);
    torch::manual_seed(0);
    models::ImageClassifier model{models::ImageClassifierOptions(models::HorNetOptions(arch))};
    model->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({2, 3, arch.input_size, arch.input_size});
    const auto cpu = model->forward(x);
    model->to(kGpu);
    engine::convert_to_channels_last(*model);
    const auto gpu = model->forward(x.to(kGpu).contiguous(torch::MemoryFormat::ChannelsLast)).cpu();
    const double diff = hornet::test::max_rel_diff(gpu, cpu);
    INFO("relative difference " << diff);
    CHECK(diff < 1e-3);
  }
}

TEST_CASE("cuda: training steps with activation checkpointing, and bf16 training", "[cuda]") {
  exact_float32();
  auto e = config::parse_experiment(config::Config::from_string(
      "model: {num_classes: 5}\noptim: {lr: 2.0e-3, clip_grad: 1.0}\nschedule: {epochs: 1, warmup_epochs: 0}\n"));
  const auto plan = engine::make_training_plan(e, 1, 400);
  torch::manual_seed(9);
  const auto x = torch::randn({8, 3, 32, 32}).to(kGpu).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto t = data::smooth_one_hot(torch::tensor({0, 1, 2, 3, 4, 0, 1, 2}).to(kGpu), 5, 0.1);
  // Drop path on: the recomputation must draw the same masks.
  std::vector<double> losses[2];
  for (const bool checkpointing : {false, true}) {
    auto model = small_model(3, 0.2);
    model->to(kGpu);
    engine::convert_to_channels_last(*model);
    model->backbone->set_grad_checkpointing(checkpointing);
    engine::TrainStep step(model, e, plan, engine::AmpMode::kOff);
    torch::manual_seed(11);
    for (int k = 0; k < 5; ++k) losses[checkpointing ? 1 : 0].push_back(step.run(x, t).loss);
  }
  for (size_t k = 0; k < losses[0].size(); ++k) CHECK(losses[1][k] == Approx(losses[0][k]).epsilon(1e-4));

  auto model = small_model(3);
  model->to(kGpu);
  engine::convert_to_channels_last(*model);
  engine::TrainStep bf16(model, e, plan, engine::AmpMode::kBf16);
  double first = 0, last = 0;
  for (int k = 0; k < 40; ++k) {
    const auto r = bf16.run(x, t);
    REQUIRE(std::isfinite(r.loss));
    if (k == 0) first = r.loss;
    last = r.loss;
  }
  CHECK(last < 0.5 * first);

  // The EMA's multi-tensor update on the GPU against the CPU's per-tensor one.
  auto on_cpu = small_model(3), on_gpu = small_model(3);
  on_gpu->to(kGpu);
  engine::ModelEma cpu_ema(on_cpu, 0.9), gpu_ema(on_gpu, 0.9);
  {
    torch::NoGradGuard no_grad;
    auto cpu_params = on_cpu->parameters(), gpu_params = on_gpu->parameters();
    for (size_t k = 0; k < cpu_params.size(); ++k) {
      const auto delta = torch::randn(cpu_params[k].sizes());
      cpu_params[k].add_(delta);
      gpu_params[k].add_(delta.to(kGpu));
    }
  }
  cpu_ema.update(on_cpu);
  gpu_ema.update(on_gpu);
  const auto want = io::state_dict(*cpu_ema.module());
  double worst = 0;
  for (const auto& [name, value] : io::state_dict(*gpu_ema.module())) {
    worst = std::max(worst, hornet::test::max_rel_diff(value.cpu(), want.at(name)));
  }
  CHECK(worst < 1e-6);
}

TEST_CASE("cuda: the prefetcher's GPU batches equal the loader's", "[cuda]") {
  const auto root = test::temp_dir("cuda_toy");
  data::ToyDatasetOptions o;
  o.classes = 3;
  o.train_per_class = 10;
  o.val_per_class = 1;
  o.size = 40;
  data::make_toy_dataset(root, o);
  const auto dataset = data::Dataset::image_folder(root + "/train");
  data::TrainPipelineOptions pipeline;
  pipeline.size = 32;
  data::LoaderOptions lo;
  lo.batch_size = 4;
  lo.workers = 2;
  lo.drop_last = true;
  lo.seed = 3;
  lo.pin_memory = true;
  std::vector<data::Batch> expected;
  {
    data::DataLoader loader(dataset, data::make_train_transform(pipeline), {}, lo);
    loader.start_epoch(2);
    while (auto b = loader.next()) {
      auto copy = *b;
      copy.images = b->images.clone();
      copy.labels = b->labels.clone();
      expected.push_back(copy);
    }
  }
  data::DataLoader loader(dataset, data::make_train_transform(pipeline), {}, lo);
  data::DevicePrefetcher batches(loader, kGpu);
  for (int64_t start : {0, 3}) {
    batches.start_epoch(2, start);
    size_t k = static_cast<size_t>(start);
    while (auto b = batches.next()) {
      REQUIRE(k < expected.size());
      CHECK(b->images.is_cuda());
      // Work on the compute stream right away, as the trainer does.
      const auto sum = b->images.to(torch::kFloat32).sum().item<double>();
      CHECK(sum == expected[k].images.to(torch::kFloat32).sum().item<double>());
      CHECK(torch::equal(b->images.cpu(), expected[k].images));
      CHECK(torch::equal(b->labels.cpu(), expected[k].labels));
      ++k;
    }
    CHECK(k == expected.size());
  }

  // Validation through the prefetcher on the GPU: the CPU's accuracy and loss.
  data::EvalPipelineOptions eval_pipeline;
  eval_pipeline.resize = 36;
  eval_pipeline.crop = 32;
  data::LoaderOptions vo;
  vo.batch_size = 7;
  vo.workers = 2;
  vo.pin_memory = true;
  auto model = small_model(6);
  data::DataLoader cpu_loader(dataset, data::make_eval_transform(eval_pipeline), {}, vo);
  const auto on_cpu = engine::evaluate(*model, cpu_loader);
  model->to(kGpu);
  engine::convert_to_channels_last(*model);
  data::DataLoader gpu_loader(dataset, data::make_eval_transform(eval_pipeline), {}, vo);
  exact_float32();
  const auto on_gpu = engine::evaluate(*model, gpu_loader, false, nullptr, c10::ScalarType::Undefined, true);
  CHECK(on_gpu.samples == on_cpu.samples);
  // At most one sample may fall on the other side of a near tie.
  CHECK(std::abs(on_gpu.top1 - on_cpu.top1) <= 100.0 / static_cast<double>(on_cpu.samples) + 1e-9);
  CHECK(on_gpu.loss == Approx(on_cpu.loss).epsilon(1e-4));
}

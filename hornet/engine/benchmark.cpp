#include "hornet/engine/benchmark.h"

#include "hornet/common/allocator.h"
#include "hornet/common/cuda_device.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/distributed/gradient_sync.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/train_step.h"
#include "hornet/ops/autocast.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace hornet::engine {

namespace {

double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// A step's time is the device's: wait for its queue before reading the clock.
void wait_for(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

int cuda_index(const torch::Device& device) { return device.has_index() ? device.index() : 0; }

models::ImageClassifier benchmark_model(const BenchmarkOptions& o) {
  torch::manual_seed(0);
  models::ImageClassifier model(
      models::ImageClassifierOptions(models::HorNetOptions(o.arch)).num_classes(o.num_classes));
  place_model(*model, o.setup);
  return model;
}

torch::Tensor benchmark_images(const BenchmarkOptions& o) {
  auto images = torch::randn({o.batch_size, 3, o.image_size, o.image_size}).to(o.setup.device);
  return o.setup.channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images;
}

void finish(StepTiming& t, int64_t images_per_step, const torch::Device& device) {
  t.median = median_of(t.seconds);
  t.images_per_second = static_cast<double>(images_per_step) / t.median;
  if (device.is_cuda()) t.peak_memory = common::cuda_peak_allocated_bytes(cuda_index(device));
}

}  // namespace

StepTiming benchmark_train_step(const BenchmarkOptions& o, distributed::ProcessGroup* group) {
  const int world = group ? group->size() : 1;
  const auto& device = o.setup.device;
  apply_math_switches(o.setup);
  config::ExperimentConfig c;
  c.model.arch = o.arch;
  c.model.num_classes = o.num_classes;
  c.schedule.epochs = 1;
  c.schedule.warmup_epochs = 0;
  auto model = benchmark_model(o);
  c.train.batch_size = o.batch_size;
  auto plan = make_training_plan(c, world, /*dataset_size=*/0);
  plan.steps_per_epoch = 1000;
  if (group) distributed::broadcast_state(*group, *model);
  TrainStep step(model, c, plan, o.setup.amp, group);
  // Each rank its own batch, as in training.
  torch::manual_seed(group ? 1 + group->rank() : 1);
  const auto images = benchmark_images(o);
  const auto targets =
      data::smooth_one_hot(torch::randint(o.num_classes, {o.batch_size}), o.num_classes, 0.1).to(device);
  StepTiming t;
  std::vector<double> exposed, launched;
  for (int k = 0; k < o.warmup + o.steps; ++k) {
    if (k == o.warmup && device.is_cuda()) common::cuda_reset_peak_memory(cuda_index(device));
    if (group) group->barrier();  // every rank starts the step together
    wait_for(device);
    const auto start = std::chrono::steady_clock::now();
    step.run(images, targets);
    wait_for(device);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (k < o.warmup) continue;
    t.seconds.push_back(s);
    if (auto* sync = step.gradient_sync()) {
      const auto stats = sync->stats();
      exposed.push_back(stats.exposed_seconds);
      launched.push_back(static_cast<double>(stats.launched_in_backward) / static_cast<double>(stats.buckets));
    }
  }
  finish(t, o.batch_size * world, device);
  if (auto* sync = step.gradient_sync()) {
    std::vector<double> alone;
    for (int k = 0; k < 3; ++k) {
      group->barrier();
      alone.push_back(sync->time_allreduce_alone());
    }
    t.buckets = sync->stats().buckets;
    t.bucket_bytes = sync->stats().bytes;
    t.allreduce_seconds = median_of(alone);
    t.exposed_seconds = median_of(exposed);
    t.launched_in_backward = median_of(launched);
  }
  return t;
}

StepTiming benchmark_inference(const BenchmarkOptions& o) {
  // As validation does (evaluate.cpp): reuse freed activation memory rather
  // than fault fresh pages in on every forward.
  common::keep_freed_memory();
  const auto& device = o.setup.device;
  apply_math_switches(o.setup);
  auto model = benchmark_model(o);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto images = benchmark_images(o);
  StepTiming t;
  for (int k = 0; k < o.warmup + o.steps; ++k) {
    if (k == o.warmup && device.is_cuda()) common::cuda_reset_peak_memory(cuda_index(device));
    wait_for(device);
    const auto start = std::chrono::steady_clock::now();
    {
      std::optional<ops::AutocastGuard> amp;
      if (o.setup.amp != AmpMode::kOff) amp.emplace(device.type(), autocast_type(o.setup.amp));
      model->forward(images);
    }
    wait_for(device);
    if (k >= o.warmup) t.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  finish(t, o.batch_size, device);
  return t;
}

}  // namespace hornet::engine

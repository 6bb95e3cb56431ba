#include "hornet/engine/benchmark.h"

#include "hornet/data/batch.h"
#include "hornet/distributed/gradient_sync.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/train_step.h"

#include <algorithm>
#include <chrono>

namespace hornet::engine {

namespace {
double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}
}  // namespace

StepTiming benchmark_train_step(const models::ArchSpec& arch, int64_t batch_size, int64_t image_size, int steps,
                                int warmup, int64_t num_classes, distributed::ProcessGroup* group) {
  const int world = group ? group->size() : 1;
  config::ExperimentConfig c;
  c.model.arch = arch;
  c.model.num_classes = num_classes;
  c.schedule.epochs = 1;
  c.schedule.warmup_epochs = 0;
  torch::manual_seed(0);
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(num_classes));
  c.train.batch_size = batch_size;
  auto plan = make_training_plan(c, world, /*dataset_size=*/0);
  plan.steps_per_epoch = 1000;
  if (group) distributed::broadcast_state(*group, *model);
  TrainStep step(model, c, plan, AmpMode::kOff, group);
  // Each rank its own batch, as in training.
  torch::manual_seed(group ? 1 + group->rank() : 1);
  const auto images = torch::randn({batch_size, 3, image_size, image_size});
  const auto targets = data::smooth_one_hot(torch::randint(num_classes, {batch_size}), num_classes, 0.1);
  StepTiming t;
  std::vector<double> exposed, launched;
  for (int k = 0; k < warmup + steps; ++k) {
    if (group) group->barrier();  // every rank starts the step together
    const auto start = std::chrono::steady_clock::now();
    step.run(images, targets);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (k < warmup) continue;
    t.seconds.push_back(s);
    if (auto* sync = step.gradient_sync()) {
      const auto stats = sync->stats();
      exposed.push_back(stats.exposed_seconds);
      launched.push_back(static_cast<double>(stats.launched_in_backward) / static_cast<double>(stats.buckets));
    }
  }
  t.median = median_of(t.seconds);
  t.images_per_second = static_cast<double>(batch_size * world) / t.median;
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

}  // namespace hornet::engine

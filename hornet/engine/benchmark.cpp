#include "hornet/engine/benchmark.h"

#include "hornet/data/batch.h"
#include "hornet/engine/train_step.h"

#include <algorithm>
#include <chrono>

namespace hornet::engine {

StepTiming benchmark_train_step(const models::ArchSpec& arch, int64_t batch_size, int64_t image_size, int steps,
                                int warmup, int64_t num_classes) {
  config::ExperimentConfig c;
  c.model.arch = arch;
  c.model.num_classes = num_classes;
  c.schedule.epochs = 1;
  c.schedule.warmup_epochs = 0;
  torch::manual_seed(0);
  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(num_classes));
  c.train.batch_size = batch_size;
  auto plan = make_training_plan(c, /*world_size=*/1, /*dataset_size=*/0);
  plan.steps_per_epoch = 1000;
  TrainStep step(model, c, plan, AmpMode::kOff);
  const auto images = torch::randn({batch_size, 3, image_size, image_size});
  const auto targets = data::smooth_one_hot(torch::randint(num_classes, {batch_size}), num_classes, 0.1);
  StepTiming t;
  for (int k = 0; k < warmup + steps; ++k) {
    const auto start = std::chrono::steady_clock::now();
    step.run(images, targets);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (k >= warmup) t.seconds.push_back(s);
  }
  auto sorted = t.seconds;
  std::sort(sorted.begin(), sorted.end());
  t.median = sorted[sorted.size() / 2];
  t.images_per_second = static_cast<double>(batch_size) / t.median;
  return t;
}

}  // namespace hornet::engine

// hornet-eval benchmark: the median time of a training step (forward, loss,
// backward, AdamW) or of inference, on synthetic data; under a launcher every
// rank times its step in one process group.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/distributed/environment.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/benchmark.h"
#include "hornet/models/arch.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace hornet_eval {

namespace {

struct BenchmarkArgs {
  std::string arch, device;
  hornet::config::AmpSetting amp = hornet::config::AmpSetting::kOff;
  hornet::config::ChannelsLast channels_last = hornet::config::ChannelsLast::kAuto;
  bool inference = false, activation_checkpointing = false;
  int steps = 10, threads = 0;
  int64_t batch_size = 0, image_size = 0, num_classes = 1000;
};

std::string memory_text(const hornet::engine::StepTiming& t) {
  return t.peak_memory < 0 ? std::string()
                           : ", peak memory " + std::to_string(t.peak_memory / (1 << 20)) + " MiB";
}

int run_benchmark(const BenchmarkArgs& a) {
  namespace engine = hornet::engine;
  hornet::common::set_threads(a.threads);
  engine::BenchmarkOptions bo;
  bo.arch = hornet::models::arch_by_name(a.arch);
  bo.image_size = a.image_size > 0 ? a.image_size : bo.arch.input_size;
  bo.batch_size = a.batch_size > 0 ? a.batch_size : 16;
  bo.steps = a.steps;
  bo.num_classes = a.num_classes;
  hornet::config::RuntimeConfig runtime;
  runtime.amp = a.amp;
  runtime.channels_last = a.channels_last;
  runtime.activation_checkpointing = a.activation_checkpointing;
  const auto target = usable_device(a.device);
  bo.setup = engine::resolve_device_setup(runtime, target);
  const auto what = [&](const char* kind) {
    std::printf("%s %s batch %lld at %lld on %s (%s): ", kind, bo.arch.name.c_str(),
                static_cast<long long>(bo.batch_size), static_cast<long long>(bo.image_size),
                target.str().c_str(), bo.setup.str().c_str());
  };
  if (a.inference) {
    const auto t = engine::benchmark_inference(bo);
    what("eval forward");
    std::printf("median %.4f s, %.2f images/s%s (%d steps, %d threads)\n", t.median, t.images_per_second,
                memory_text(t).c_str(), a.steps, at::get_num_threads());
    return 0;
  }
  const auto env = hornet::distributed::detect_environment();
  std::unique_ptr<hornet::distributed::ProcessGroup> group;
  if (env.distributed()) {
    hornet::distributed::GroupOptions o;
    o.timeout = std::chrono::minutes(5);
    o.cuda = target.is_cuda();
    group = std::make_unique<hornet::distributed::ProcessGroup>(env, o);
  }
  const auto t = engine::benchmark_train_step(bo, group.get());
  if (env.rank != 0) return 0;
  what("train step");
  std::printf("median %.4f s, %.2f images/s%s (%d steps, %d threads, %d rank(s))\n", t.median,
              t.images_per_second, memory_text(t).c_str(), a.steps, at::get_num_threads(), env.world_size);
  if (group) {
    std::printf(
        "all-reduce: %lld buckets, %.1f MB: %.4f s alone, %.4f s exposed after backward, %.0f%% of the "
        "buckets launched during backward\n",
        static_cast<long long>(t.buckets), static_cast<double>(t.bucket_bytes) / 1e6, t.allreduce_seconds,
        t.exposed_seconds, 100.0 * t.launched_in_backward);
  }
  return 0;
}

}  // namespace

hornet::cli::Command add_benchmark(CLI::App& tool) {
  auto* app =
      tool.add_subcommand("benchmark",
                          "Time training steps (forward, loss, backward, AdamW), or the forward pass alone, "
                          "on synthetic data");
  auto a = std::make_shared<BenchmarkArgs>();
  app->add_option("--arch", a->arch, "Zoo arch or alias (tiny, tiny-gf, small, ..., large-gf384)")
      ->required();
  auto* inference = app->add_flag("--inference", a->inference, "Time the forward pass without gradients");
  app->add_option("--steps", a->steps, "Timed steps")->check(CLI::Range(1, 100000));
  app->add_option("--batch-size", a->batch_size, "Batch size (default: 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app->add_option("--image-size", a->image_size, "Square input size (default: the arch's own, 224 or 384)")
      ->check(CLI::Range(int64_t{0}, int64_t{8192}));
  app->add_option("--num-classes", a->num_classes, "Classifier outputs")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app->add_option("--device", a->device, "cpu or cuda[:N]");
  add_amp_option(*app, a->amp);
  add_choice_option(*app, "--channels-last", a->channels_last,
                    "Channels-last activations and conv weights (auto: on CUDA)");
  app->add_flag("--activation-checkpointing", a->activation_checkpointing,
                "Recompute each block in the backward pass instead of storing its activations")
      ->excludes(inference);
  hornet::cli::add_threads_option(*app, a->threads);
  return {app, [a] { return run_benchmark(*a); }};
}

}  // namespace hornet_eval

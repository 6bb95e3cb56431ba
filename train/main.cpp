// hornet-train: trains a HorNet classifier from a YAML recipe.
//
//   hornet-train CONFIG [--work-dir D] [--resume auto|PATH] [--set key.path=value ...]
//                [--device cpu|cuda] [--threads N] [--amp off|bf16|fp16]
//                [--nproc-per-node N [--max-restarts K]] [--dry-run [--world-size N] [--dataset-size N]]
//
// Under torchrun, srun or mpirun every rank runs this same command; with
// --nproc-per-node it starts the ranks itself.
#include "hornet/common/cli.h"
#include "hornet/config/experiment.h"
#include "hornet/distributed/environment.h"
#include "hornet/distributed/launcher.h"
#include "hornet/engine/plan.h"
#include "hornet/engine/trainer.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"hornet-train: train a HorNet classifier from a YAML recipe"};
  std::string config_path, work_dir, resume, device, amp;
  std::vector<std::string> overrides;
  int threads = -1, nproc = 0, max_restarts = 0, world_size = 0;
  int64_t dataset_size = 0;
  bool dry_run = false;
  app.add_option("config", config_path, "Recipe (YAML, with _base_ inheritance)")->required()->check(CLI::ExistingFile);
  app.add_option("--work-dir", work_dir, "Where checkpoints, logs and the resolved config go (default: work_dirs/<config name>)");
  app.add_option("--resume", resume, "Continue from a checkpoint: 'auto' (the work dir's last.pth, if any) or a path");
  app.add_option("--set", overrides, "Override a config value: key.path=value (value parsed as YAML); repeatable");
  app.add_option("--device", device, "cpu or cuda[:N] (runtime.device)");
  app.add_option("--threads", threads, "Intra-op threads, 0 = the node's cores shared by its ranks (runtime.threads)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--amp", amp, "Mixed precision: off, bf16 or fp16 (runtime.amp)")->check(CLI::IsMember({"off", "bf16", "fp16"}));
  app.add_option("--nproc-per-node", nproc, "Start N ranks on this machine and watch them (single-node launcher)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-restarts", max_restarts, "With --nproc-per-node: restart failed ranks from the last checkpoint up to K times")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--dry-run", dry_run, "Print the training plan (total batch, accumulation, LR, steps) and exit; reads no data");
  app.add_option("--world-size", world_size, "With --dry-run: plan for N ranks (default: the launch environment's)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--dataset-size", dataset_size, "With --dry-run: count steps for N training images (default: data.train.expected_size)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  CLI11_PARSE(app, argc, argv);

  std::string tool = "hornet-train";
  try {
    const auto env = hornet::distributed::detect_environment();
    if (env.distributed()) tool += " [rank " + std::to_string(env.rank) + "]";
  } catch (const std::exception&) {
  }
  return hornet::common::run_command(tool, [&]() -> int {
    if (max_restarts > 0 && nproc == 0) throw std::invalid_argument("--max-restarts needs --nproc-per-node");
    if (!dry_run && (world_size > 0 || dataset_size > 0)) {
      throw std::invalid_argument("--world-size and --dataset-size apply only to --dry-run");
    }
    auto config = hornet::config::Config::load(config_path);
    for (const auto& o : overrides) config.set(o);
    if (!device.empty()) config.set("runtime.device=" + device);
    if (threads >= 0) config.set("runtime.threads=" + std::to_string(threads));
    if (!amp.empty()) config.set("runtime.amp=" + amp);
    const auto experiment = hornet::config::parse_experiment(config);

    if (dry_run) {
      const int64_t world = world_size > 0 ? world_size
                            : nproc > 0    ? nproc
                                           : hornet::distributed::detect_environment().world_size;
      const auto plan = hornet::engine::make_training_plan(
          experiment, world, dataset_size > 0 ? dataset_size : experiment.train.expected_size);
      std::cout << config_path << " (" << experiment.model.arch.name << ", " << experiment.model.num_classes
                << " classes)\n";
      for (const auto& line : plan.describe()) std::cout << "  " << line << "\n";
      return 0;
    }
    if (nproc > 0) {
      if (hornet::distributed::detect_environment().distributed()) {
        throw std::invalid_argument("--nproc-per-node starts the ranks itself; do not combine it with another launcher");
      }
      hornet::distributed::LaunchOptions launch;
      launch.nproc = nproc;
      launch.max_restarts = max_restarts;
      launch.argv = hornet::distributed::strip_options(std::vector<std::string>(argv, argv + argc),
                                                       {"--nproc-per-node", "--max-restarts"});
      launch.restart_args = {"--resume", "auto"};
      return hornet::distributed::launch_workers(launch);
    }
    hornet::engine::TrainerOptions options;
    options.work_dir = work_dir.empty() ? "work_dirs/" + std::filesystem::path(config_path).stem().string() : work_dir;
    options.resume = resume;
    const auto summary = hornet::engine::train(experiment, config, options);
    if (summary.best_top1 >= 0 && !summary.stopped) {
      spdlog::info("best top-1 {:.2f}%, checkpoints in {}", summary.best_top1, options.work_dir);
    }
    return 0;
  });
}

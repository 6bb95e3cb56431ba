// hornet-train: trains a HorNet classifier from a YAML recipe.
//
//   hornet-train CONFIG [--work-dir D] [--resume auto|PATH] [--set key.path=value ...]
//                [--device cpu|cuda] [--threads N] [--amp off|bf16|fp16]
#include "hornet/common/cli.h"
#include "hornet/config/experiment.h"
#include "hornet/engine/trainer.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

int main(int argc, char** argv) {
  CLI::App app{"hornet-train: train a HorNet classifier from a YAML recipe"};
  std::string config_path, work_dir, resume, device, amp;
  std::vector<std::string> overrides;
  int threads = -1;
  app.add_option("config", config_path, "Recipe (YAML, with _base_ inheritance)")->required()->check(CLI::ExistingFile);
  app.add_option("--work-dir", work_dir, "Where checkpoints, logs and the resolved config go (default: work_dirs/<config name>)");
  app.add_option("--resume", resume, "Continue from a checkpoint: 'auto' (the work dir's last.pth, if any) or a path");
  app.add_option("--set", overrides, "Override a config value: key.path=value (value parsed as YAML); repeatable");
  app.add_option("--device", device, "cpu or cuda[:N] (runtime.device)");
  app.add_option("--threads", threads, "Intra-op threads, 0 = one per core (runtime.threads)")->check(CLI::NonNegativeNumber);
  app.add_option("--amp", amp, "Mixed precision: off, bf16 or fp16 (runtime.amp)")->check(CLI::IsMember({"off", "bf16", "fp16"}));
  CLI11_PARSE(app, argc, argv);

  return hornet::common::run_command("hornet-train", [&]() -> int {
    auto config = hornet::config::Config::load(config_path);
    for (const auto& o : overrides) config.set(o);
    if (!device.empty()) config.set("runtime.device=" + device);
    if (threads >= 0) config.set("runtime.threads=" + std::to_string(threads));
    if (!amp.empty()) config.set("runtime.amp=" + amp);
    const auto experiment = hornet::config::parse_experiment(config);
    hornet::engine::TrainerOptions options;
    options.work_dir = work_dir.empty() ? "work_dirs/" + std::filesystem::path(config_path).stem().string() : work_dir;
    options.resume = resume;
    const auto summary = hornet::engine::train(experiment, config, options);
    if (summary.best_top1 >= 0) {
      spdlog::info("best top-1 {:.2f}%, checkpoints in {}", summary.best_top1, options.work_dir);
    }
    return 0;
  });
}

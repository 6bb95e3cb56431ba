// hornet-train: trains a HorNet classifier from a YAML recipe.
//
//   hornet-train CONFIG [--work-dir D] [--resume auto|PATH [--allow-config-changes]] [--overwrite]
//                [--set key.path=value ...]
//                [--device cpu|cuda] [--threads N] [--amp off|bf16|fp16]
//                [--nproc-per-node N [--max-restarts K]] [--dry-run [--world-size N] [--dataset-size N]]
//   hornet-train --config-reference      every config key, as docs/training.md lists them
//
// Under torchrun, srun or mpirun every rank runs this same command; with
// --nproc-per-node it starts the ranks itself.
#include "hornet/cli/command.h"
#include "hornet/common/version.h"
#include "hornet/config/experiment.h"
#include "hornet/distributed/environment.h"
#include "hornet/distributed/launcher.h"
#include "hornet/engine/plan.h"
#include "hornet/engine/run_dir.h"
#include "hornet/engine/trainer.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <map>

namespace {

struct TrainArgs {
  std::string config, work_dir, resume;
  std::vector<std::string> overrides;
  std::map<std::string, std::string> settings;  // config key -> the value its own option gave
  int nproc = 0, max_restarts = 0, world_size = 0;
  int64_t dataset_size = 0;
  bool dry_run = false, overwrite = false, allow_changes = false;

  // --set, then the keys' own options (--device, ...), on a config read from a file or a checkpoint.
  void apply_overrides(hornet::config::Config& c) const {
    for (const auto& o : overrides) c.set(o);
    for (const auto& [key, value] : settings) {
      if (!value.empty()) c.set(key + "=" + value);
    }
  }
};

// The config keys the table gives an option of their own (config/experiment.cpp).
void add_key_options(CLI::App& app, TrainArgs& a) {
  for (const auto& key : hornet::config::experiment_keys()) {
    if (key.option.empty()) continue;
    auto* option = app.add_option(key.option, a.settings[key.path], key.doc + " (" + key.path + ")");
    if (key.check)
      option->check(CLI::Validator([check = key.check](std::string& v) { return check(v); }, key.allowed));
  }
}

void add_options(CLI::App& app, TrainArgs& a) {
  app.add_option("config", a.config, "Recipe (YAML, with _base_ inheritance)")
      ->required()
      ->check(CLI::ExistingFile);
  auto* work =
      app.add_option("--work-dir", a.work_dir,
                     "Where checkpoints, logs and the resolved config go (default: work_dirs/<config name>)");
  auto* resume =
      app.add_option("--resume", a.resume,
                     "Continue a run with its own saved config: 'auto' (the work dir's last.pth or newest "
                     "epoch_N.pth; a new run when there is none) or a checkpoint path");
  auto* allow =
      app.add_flag("--allow-config-changes", a.allow_changes,
                   "With --resume: accept --set overrides that change the run (model, data, optimisation, "
                   "schedule, EMA)")
          ->needs(resume);
  auto* overwrite =
      app.add_flag("--overwrite", a.overwrite,
                   "Start a new run in a work dir that holds one, replacing its checkpoints and logs")
          ->excludes(resume);
  app.add_option("--set", a.overrides,
                 "Override a config value: key.path=value (value parsed as YAML); repeatable");
  add_key_options(app, a);
  auto* nproc = app.add_option("--nproc-per-node", a.nproc,
                               "Start N ranks on this machine and watch them (single-node launcher)")
                    ->check(CLI::Range(1, 1024));
  auto* restarts =
      app.add_option("--max-restarts", a.max_restarts,
                     "With --nproc-per-node: restart failed ranks from the last checkpoint up to K times")
          ->check(CLI::Range(0, 1000))
          ->needs(nproc);
  auto* dry = app.add_flag("--dry-run", a.dry_run,
                           "Print the training plan (total batch, accumulation, LR, steps) and exit; reads "
                           "no data and writes nothing")
                  ->excludes(work)
                  ->excludes(resume)
                  ->excludes(allow)
                  ->excludes(overwrite)
                  ->excludes(restarts);
  app.add_option("--world-size", a.world_size,
                 "With --dry-run: plan for N ranks (default: the launch environment's)")
      ->check(CLI::Range(1, 1000000))
      ->needs(dry);
  app.add_option("--dataset-size", a.dataset_size,
                 std::string("With --dry-run: count steps for N training images (default: ") +
                     hornet::config::keys::kExpectedSize + ")")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->needs(dry);
}

int print_plan(const TrainArgs& a, const hornet::config::ExperimentConfig& experiment) {
  const int64_t world = a.world_size > 0 ? a.world_size
                        : a.nproc > 0    ? a.nproc
                                         : hornet::distributed::detect_environment().world_size;
  const auto plan = hornet::engine::make_training_plan(
      experiment, world, a.dataset_size > 0 ? a.dataset_size : experiment.train.expected_size);
  std::cout << a.config << " (" << experiment.model.arch.name << ", " << experiment.model.num_classes
            << " classes)\n";
  for (const auto& line : plan.describe()) std::cout << "  " << line << "\n";
  return 0;
}

int launch(const TrainArgs& a, int argc, char** argv) {
  if (hornet::distributed::detect_environment().distributed()) {
    throw std::invalid_argument(
        "--nproc-per-node starts the ranks itself; do not combine it with another launcher");
  }
  hornet::distributed::LaunchOptions launch;
  launch.nproc = a.nproc;
  launch.max_restarts = a.max_restarts;
  launch.argv = hornet::distributed::strip_options(std::vector<std::string>(argv, argv + argc),
                                                   {"--nproc-per-node", "--max-restarts"});
  launch.restart_args = {"--resume", "auto"};
  launch.restart_drop_flags = {"--overwrite"};
  return hornet::distributed::launch_workers(launch);
}

int train(const TrainArgs& a, int argc, char** argv) {
  auto config = hornet::config::Config::load(a.config);
  a.apply_overrides(config);
  const std::string work =
      a.work_dir.empty() ? "work_dirs/" + std::filesystem::path(a.config).stem().string() : a.work_dir;
  const std::string checkpoint =
      a.dry_run || a.nproc > 0 ? "" : hornet::engine::resolve_resume(work, a.resume);
  if (!checkpoint.empty()) {
    config = hornet::engine::resumed_config(
        checkpoint, config, a.config, [&](hornet::config::Config& c) { a.apply_overrides(c); },
        a.allow_changes);
  } else if (!a.resume.empty() && !a.dry_run && a.nproc == 0) {
    spdlog::info("--resume {}: {} holds no checkpoint; starting a new run", a.resume, work);
  }
  const auto experiment = hornet::config::parse_experiment(config);
  if (a.dry_run) return print_plan(a, experiment);
  if (a.nproc > 0) return launch(a, argc, argv);
  hornet::engine::TrainerOptions options;
  options.work_dir = work;
  options.resume = checkpoint;
  options.resume_requested = !a.resume.empty();
  options.overwrite = a.overwrite;
  const auto summary = hornet::engine::train(experiment, config, options);
  if (summary.best_top1 >= 0 && !summary.stopped) {
    spdlog::info("best top-1 {:.2f}%, checkpoints in {}", summary.best_top1, options.work_dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tool = "hornet-train";
  try {
    const auto env = hornet::distributed::detect_environment();
    if (env.distributed()) tool += " [rank " + std::to_string(env.rank) + "]";
  } catch (const std::exception&) {
  }
  CLI::App app{"hornet-train: train a HorNet classifier from a YAML recipe", tool};
  TrainArgs args;
  add_options(app, args);
  app.set_version_flag("--version", hornet::version_text());
  app.add_flag_callback(
      "--config-reference",
      [] {
        std::cout << hornet::config::config_reference_markdown();
        throw CLI::Success();
      },
      "Print every config key (type, default, allowed values, resume policy, meaning) as Markdown and exit");
  return hornet::cli::run_tool(app, hornet::cli::arguments(argc, argv),
                               [&] { return train(args, argc, argv); });
}

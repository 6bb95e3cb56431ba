// hornet-train: trains a HorNet classifier from a YAML recipe.
//
//   hornet-train CONFIG [--work-dir D] [--resume auto|PATH [--allow-config-changes]] [--overwrite]
//                [--set key.path=value ...]
//                [--device cpu|cuda] [--threads N] [--amp off|bf16|fp16]
//                [--nproc-per-node N [--max-restarts K]] [--dry-run [--world-size N] [--dataset-size N]]
//
// Under torchrun, srun or mpirun every rank runs this same command; with
// --nproc-per-node it starts the ranks itself.
#include "hornet/common/cli.h"
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

int main(int argc, char** argv) {
  CLI::App app{"hornet-train: train a HorNet classifier from a YAML recipe"};
  std::string config_path, work_dir, resume, device, amp;
  std::vector<std::string> overrides;
  int threads = -1, nproc = 0, max_restarts = 0, world_size = 0;
  int64_t dataset_size = 0;
  bool dry_run = false, overwrite = false, allow_changes = false;
  app.add_option("config", config_path, "Recipe (YAML, with _base_ inheritance)")->required()->check(CLI::ExistingFile);
  app.add_option("--work-dir", work_dir, "Where checkpoints, logs and the resolved config go (default: work_dirs/<config name>)");
  app.add_option("--resume", resume,
                 "Continue a run with its own saved config: 'auto' (the work dir's last.pth or newest epoch_N.pth; "
                 "a new run when there is none) or a checkpoint path");
  app.add_flag("--allow-config-changes", allow_changes,
               "With --resume: accept --set overrides that change the run (model, data, optimisation, schedule, EMA)");
  app.add_flag("--overwrite", overwrite, "Start a new run in a work dir that holds one, replacing its checkpoints and logs");
  app.add_option("--set", overrides, "Override a config value: key.path=value (value parsed as YAML); repeatable");
  app.add_option("--device", device, "cpu or cuda[:N] (runtime.device)");
  app.add_option("--threads", threads, "Intra-op threads, 0 = the node's cores shared by its ranks (runtime.threads)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--amp", amp, "Mixed precision: auto (bf16 on GPUs that have it), off, bf16 or fp16 (runtime.amp)")
      ->check(CLI::IsMember({"auto", "off", "bf16", "fp16"}));
  app.add_option("--nproc-per-node", nproc, "Start N ranks on this machine and watch them (single-node launcher)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-restarts", max_restarts, "With --nproc-per-node: restart failed ranks from the last checkpoint up to K times")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--dry-run", dry_run, "Print the training plan (total batch, accumulation, LR, steps) and exit; reads no data");
  app.add_option("--world-size", world_size, "With --dry-run: plan for N ranks (default: the launch environment's)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--dataset-size", dataset_size, "With --dry-run: count steps for N training images (default: data.train.expected_size)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.set_version_flag("--version", hornet::version_text());
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
    if (dry_run) {
      hornet::common::check_mode_options(hornet::common::given_options(app),
                                         {"config", "--dry-run", "--world-size", "--dataset-size", "--set", "--device",
                                          "--threads", "--amp", "--nproc-per-node", "--help", "--version"},
                                         "--dry-run (it plans a run and writes nothing)");
    }
    if (overwrite && !resume.empty()) throw std::invalid_argument("--overwrite starts a new run; --resume continues one");
    if (allow_changes && resume.empty()) throw std::invalid_argument("--allow-config-changes applies only to --resume");
    const auto apply_overrides = [&](hornet::config::Config& config) {
      for (const auto& o : overrides) config.set(o);
      if (!device.empty()) config.set("runtime.device=" + device);
      if (threads >= 0) config.set("runtime.threads=" + std::to_string(threads));
      if (!amp.empty()) config.set("runtime.amp=" + amp);
    };
    auto config = hornet::config::Config::load(config_path);
    apply_overrides(config);
    const std::string work = work_dir.empty() ? "work_dirs/" + std::filesystem::path(config_path).stem().string() : work_dir;
    const std::string checkpoint = dry_run || nproc > 0 ? "" : hornet::engine::resolve_resume(work, resume);
    if (!checkpoint.empty()) {
      // A resumed run keeps its own config, with this command's overrides on top.
      const std::string saved_text = hornet::engine::checkpoint_config(checkpoint);
      const std::string origin = checkpoint + " (the run's saved config)";
      const auto saved = hornet::config::Config::from_string(saved_text, origin);
      auto resumed = hornet::config::Config::from_string(saved_text, origin);  // YAML nodes copy shallowly
      apply_overrides(resumed);
      const auto changes = hornet::engine::meaning_changes(saved, resumed);
      if (!changes.empty() && !allow_changes) {
        std::string list;
        for (const auto& c : changes) list += "\n  " + c;
        throw std::invalid_argument("--resume " + checkpoint + ": these overrides would change the run:" + list +
                                    "\nresume without them, or add --allow-config-changes to change it on purpose");
      }
      for (const auto& c : hornet::engine::meaning_changes(saved, config)) {
        if (std::find(changes.begin(), changes.end(), c) == changes.end()) {
          spdlog::warn("{} differs from the run's saved config ({}); resuming with the saved value", config_path, c);
        }
      }
      config = resumed;
    } else if (!resume.empty() && !dry_run && nproc == 0) {
      spdlog::info("--resume {}: {} holds no checkpoint; starting a new run", resume, work);
    }
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
      launch.restart_drop_flags = {"--overwrite"};
      return hornet::distributed::launch_workers(launch);
    }
    hornet::engine::TrainerOptions options;
    options.work_dir = work;
    options.resume = checkpoint;
    options.resume_requested = !resume.empty();
    options.overwrite = overwrite;
    const auto summary = hornet::engine::train(experiment, config, options);
    if (summary.best_top1 >= 0 && !summary.stopped) {
      spdlog::info("best top-1 {:.2f}%, checkpoints in {}", summary.best_top1, options.work_dir);
    }
    return 0;
  });
}

// hornet-eval bulk: many checkpoints validated in one command, one row each
// (arch, file, weights, top-1/top-5, ImageNet-ReaL, published top-1 and the
// difference, parameters, FLOPs, images/s), printed as a Markdown table and
// written as CSV and Markdown on request.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/engine/bulk_validate.h"
#include "hornet/io/file_util.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>

namespace hornet_eval {

namespace {

struct BulkArgs {
  std::vector<std::string> items, overrides;
  std::string zoo_dir, config, csv, markdown, device;
  hornet::engine::BulkOptions options;
  hornet::config::AmpSetting amp = hornet::config::AmpSetting::kOff;
  WeightsArgs weights;
  int threads = 0;
};

int run_bulk(BulkArgs& a) {
  namespace engine = hornet::engine;
  hornet::common::set_threads(a.threads);
  auto files = a.items.empty() ? std::vector<std::string>{} : engine::expand_checkpoints(a.items);
  if (!a.zoo_dir.empty()) {
    const auto zoo = engine::zoo_files_in(a.zoo_dir);
    files.insert(files.end(), zoo.begin(), zoo.end());
  }
  std::optional<hornet::config::ExperimentConfig> config;
  if (!a.config.empty()) config = load_experiment(a.config, a.overrides, a.device);
  if (!a.device.empty()) a.options.device = a.device;
  a.options.validate.weights = a.weights.resolve();
  a.options.validate.amp = a.amp;
  std::vector<engine::BulkRow> rows;
  int failed = 0;
  for (size_t k = 0; k < files.size(); ++k) {
    spdlog::info("[{}/{}] {}", k + 1, files.size(), files[k]);
    try {
      rows.push_back(engine::validate_row(files[k], config ? &*config : nullptr, a.options));
      const auto& r = rows.back();
      spdlog::info("[{}/{}] {}: top-1 {:.2f}%  top-5 {:.2f}%  ({} images, {:.1f} images/s)", k + 1,
                   files.size(), r.arch, r.result.top1, r.result.top5, r.result.samples, r.images_per_s);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", files[k], e.what());
      ++failed;
    }
  }
  std::cout << engine::bulk_markdown(rows) << std::flush;
  if (!a.csv.empty()) hornet::io::write_file_atomic(a.csv, engine::bulk_csv(rows));
  if (!a.markdown.empty()) hornet::io::write_file_atomic(a.markdown, engine::bulk_markdown(rows));
  if (failed) spdlog::error("{} of {} checkpoints could not be validated", failed, files.size());
  return failed ? 1 : 0;
}

}  // namespace

hornet::cli::Command add_bulk(CLI::App& tool) {
  auto* app = tool.add_subcommand(
      "bulk",
      "Validate many checkpoints (files, folders, patterns, or the published ones in a folder), one "
      "table row each, with the published accuracy beside it");
  auto a = std::make_shared<BulkArgs>();
  app->add_option(
      "checkpoints", a->items,
      "Checkpoint files, folders (their .pth/.pt/.safetensors files) or quoted patterns ('runs/*.pth')");
  app->add_option("--zoo-dir", a->zoo_dir,
                  "Also every published checkpoint (hornet-eval zoo) found in this folder")
      ->check(CLI::ExistingDirectory);
  auto* config =
      app->add_option("--config", a->config,
                      "A recipe (YAML) whose model and test pipeline every checkpoint gets (default: the "
                      "zoo arch each file's shapes fit, its head's classes, the official pipeline)")
          ->check(CLI::ExistingFile);
  app->add_option("--set", a->overrides, "Override a config value: key.path=value")->needs(config);
  app->add_option(
      "--data", a->options.validate.data,
      "Validation data: ImageFolder root or annotation file (with --config: default its data.val)");
  a->weights.add_to(*app);
  app->add_option("--crop-pct", a->options.crop_pct,
                  "Resize the short edge to crop / crop-pct before the centre crop")
      ->check(CLI::Range(0.05, 1.0));
  app->add_option("--image-size", a->options.image_size, "Crop and model input size (default: the arch's)")
      ->check(CLI::Range(int64_t{32}, int64_t{8192}));
  add_scoring_options(*app, a->options.validate.real_labels, a->options.validate.flip);
  app->add_option("--batch-size", a->options.validate.batch_size, "Batch size (default: the config's, or 64)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app->add_option("--workers", a->options.workers, "Loader threads (without --config)")
      ->check(CLI::Range(0, 256));
  app->add_option("--csv", a->csv, "Write the table as CSV");
  app->add_option("--markdown", a->markdown, "Write the table as Markdown");
  app->add_option("--device", a->device, "cpu or cuda[:N]");
  add_amp_option(*app, a->amp);
  hornet::cli::add_threads_option(*app, a->threads);
  app->callback([a] {
    if (a->items.empty() && a->zoo_dir.empty()) throw CLI::RequiredError("checkpoints or --zoo-dir");
  });
  return {app, [a] { return run_bulk(*a); }};
}

}  // namespace hornet_eval

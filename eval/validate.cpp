// hornet-eval validate: top-1/top-5 of a checkpoint with a config's model and
// test pipeline, both weights when the file holds both (as the official
// --model_ema_eval reports them), against the published figures when the file
// is a published one; per-class results and logits on request.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/engine/evaluate.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"
#include "hornet/models/published.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>

namespace hornet_eval {

namespace {

struct ValidateArgs {
  std::string config, checkpoint, data, out_json, dump_logits, device, real_labels;
  bool flip = false;
  hornet::config::AmpSetting amp = hornet::config::AmpSetting::kOff;
  std::vector<std::string> overrides;
  WeightsArgs weights;
  int64_t batch_size = 0;
  int threads = 0;
};

void print_result(const std::string& checkpoint, const hornet::engine::EvalResult& r) {
  std::printf("%s: top-1 %.2f%%  top-5 %.2f%%  (%lld images, %s weights from %s)\n", checkpoint.c_str(),
              r.top1, r.top5, static_cast<long long>(r.samples), r.ema ? "EMA" : "raw",
              r.weights_source.c_str());
  if (r.real_samples > 0) {
    std::printf("%s: ReaL top-1 %.2f%%  top-5 %.2f%%  (%lld images with ReaL labels)\n", checkpoint.c_str(),
                r.real_top1, r.real_top5, static_cast<long long>(r.real_samples));
  }
}

int run_validate(const ValidateArgs& a) {
  namespace engine = hornet::engine;
  namespace models = hornet::models;
  hornet::common::set_threads(a.threads);
  const auto e = load_experiment(a.config, a.overrides, a.device);
  const auto published = models::compare_with_published(a.checkpoint);
  if (published && !published->hash_ok) spdlog::warn("{}", published->hash_message);
  engine::ValidateOptions vo;
  vo.data = a.data;
  vo.weights = a.weights.resolve();
  vo.batch_size = a.batch_size;
  vo.keep_logits = !a.dump_logits.empty();
  vo.amp = a.amp;
  vo.real_labels = a.real_labels;
  vo.flip = a.flip;
  const auto result = engine::validate_checkpoint(e, a.checkpoint, vo);
  print_result(a.checkpoint, result);
  std::optional<engine::EvalResult> other;
  if (result.file_has_both && !a.weights.given()) {
    vo.weights = result.ema ? hornet::io::WeightChoice::kRaw : hornet::io::WeightChoice::kEma;
    vo.keep_logits = false;
    other = engine::validate_checkpoint(e, a.checkpoint, vo);
    print_result(a.checkpoint, *other);
  }
  std::vector<std::pair<std::string, std::string>> extra{
      {"checkpoint", hornet::io::json_string(a.checkpoint)}};
  if (published) {
    std::printf("%s\n", models::describe_against_published(*published, result.top1, result.top5).c_str());
    extra.emplace_back("published", models::published_json(*published, result.top1, result.top5));
  }
  if (!a.out_json.empty()) {
    hornet::io::write_file_atomic(
        a.out_json, engine::eval_report_json(result, e.model.num_classes, other ? &*other : nullptr, extra));
    std::printf("wrote the metrics, per-class accuracy and confusion matrix to %s\n", a.out_json.c_str());
  }
  if (!a.dump_logits.empty()) {
    const auto files = engine::write_logits(a.dump_logits, result);
    std::printf("wrote the logits to %s, labels to %s, image paths to %s\n", files[0].c_str(),
                files[1].c_str(), files[2].c_str());
  }
  return 0;
}

}  // namespace

hornet::cli::Command add_validate(CLI::App& tool) {
  auto* app = tool.add_subcommand("validate",
                                  "Validate a checkpoint with a recipe's model and test pipeline: "
                                  "top-1 / top-5, per class on request");
  auto a = std::make_shared<ValidateArgs>();
  app->add_option("config", a->config, "A recipe (YAML)")->required()->check(CLI::ExistingFile);
  add_checkpoint_option(*app, a->checkpoint);
  app->add_option("--data", a->data,
                  "Validation data: ImageFolder root or annotation file (default: the config's data.val)");
  app->add_option("--set", a->overrides, "Override a config value: key.path=value");
  a->weights.add_to(*app);
  app->add_option("--batch-size", a->batch_size, "Batch size (default: the config's)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app->add_option("--out", a->out_json,
                  "Write the results as JSON: metrics with per-class accuracy and the confusion matrix "
                  "(scripts/plot_confusion.py draws it)");
  app->add_option(
      "--dump-logits", a->dump_logits,
      "Write the float32 logits here (.npy), with <stem>.labels.npy and <stem>.paths.txt, row for row");
  app->add_option("--device", a->device,
                  std::string("cpu or cuda[:N] (") + hornet::config::keys::kRuntimeDevice + ")");
  add_scoring_options(*app, a->real_labels, a->flip);
  add_amp_option(*app, a->amp);
  hornet::cli::add_threads_option(*app, a->threads);
  return {app, [a] { return run_validate(*a); }};
}

}  // namespace hornet_eval

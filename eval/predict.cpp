// hornet-eval predict: classify image files (and folders of them) with a
// checkpoint, through a config's model and test pipeline or a zoo arch's
// evaluation preprocessing. Standard output holds the predictions only.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/data/dataset.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/evaluate.h"
#include "hornet/engine/predict.h"
#include "hornet/io/file_util.h"
#include "hornet/io/npy.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace hornet_eval {

namespace {

struct PredictArgs {
  std::vector<std::string> images, overrides;
  std::string config, checkpoint, class_names, out_json, dump_logits, device;
  hornet::config::AmpSetting amp = hornet::config::AmpSetting::kOff;
  ArchCheckpointArgs model;
  WeightsArgs weights;
  int topk = 5, threads = 0;
  int64_t batch_size = 32;
};

struct Predictor {
  hornet::models::ImageClassifier model{nullptr};
  hornet::data::EvalPipelineOptions preprocess;
  std::vector<std::string> fallback_names;  // the config's or the checkpoint's
};

Predictor from_config(const PredictArgs& a) {
  const auto e = load_experiment(a.config, a.overrides, a.device);
  Predictor p;
  p.model = hornet::engine::load_classifier(e, a.checkpoint, a.weights.resolve());
  p.preprocess = e.val.pipeline;
  p.fallback_names = e.val.dataset.class_names.empty()
                         ? hornet::models::checkpoint_class_names(a.checkpoint)
                         : hornet::data::read_class_names(e.val.dataset.class_names);
  return p;
}

Predictor from_arch(const PredictArgs& a) {
  namespace models = hornet::models;
  auto loaded = models::classifier_from_checkpoint(a.model.arch, a.checkpoint,
                                                   a.model.model_options(a.weights.resolve()));
  loaded.model->to(usable_device(a.device));
  spdlog::info("loaded {} tensors from {} in {:.3f} s", loaded.report.loaded, loaded.source,
               loaded.load_seconds);
  if (!loaded.report.adapted.empty()) spdlog::info("{}", loaded.report.str());
  Predictor p;
  const int64_t size = a.model.image_size > 0 ? a.model.image_size : loaded.model->arch().input_size;
  p.preprocess = hornet::data::eval_options_for_size(static_cast<int>(size));
  p.fallback_names = models::checkpoint_class_names(a.checkpoint);
  p.model = loaded.model;
  return p;
}

int run_predict(const PredictArgs& a) {
  namespace engine = hornet::engine;
  hornet::common::set_threads(a.threads);
  const auto paths = engine::expand_image_paths(a.images);
  auto p = a.config.empty() ? from_arch(a) : from_config(a);
  const auto names = engine::choose_class_names(a.class_names, p.model->num_classes(), p.fallback_names);
  const auto autocast =
      engine::autocast_type(engine::resolve_amp(a.amp, p.model->parameters().front().device()));
  const auto result = engine::predict(*p.model, paths, p.preprocess, a.topk, a.batch_size, autocast);
  std::cout << engine::format_predictions(result.predictions, names) << std::flush;
  for (const auto& skip : result.skipped) spdlog::warn("skipped {}: {}", skip.path, skip.reason);
  if (!a.out_json.empty()) {
    hornet::io::write_file_atomic(a.out_json, engine::predictions_json(result, names));
    spdlog::info("wrote {} predictions to {}", result.predictions.size(), a.out_json);
  }
  if (!a.dump_logits.empty()) hornet::io::write_npy(a.dump_logits, result.logits);
  if (!result.skipped.empty()) {
    std::fprintf(stderr, "hornet-eval: %zu of %zu images could not be read and were skipped\n",
                 result.skipped.size(), result.skipped.size() + result.predictions.size());
  }
  return 0;
}

}  // namespace

hornet::cli::Command add_predict(CLI::App& tool) {
  auto* app =
      tool.add_subcommand("predict",
                          "Classify image files or folders (searched recursively) with the evaluation "
                          "preprocessing of --config or of --arch");
  auto a = std::make_shared<PredictArgs>();
  app->add_option("images", a->images, "Image files or folders")->required();
  add_checkpoint_option(*app, a->checkpoint);
  auto* config =
      app->add_option("--config", a->config, "A recipe (YAML): its model, test pipeline and class names")
          ->check(CLI::ExistingFile);
  app->add_option("--set", a->overrides, "Override a config value: key.path=value")->needs(config);
  a->model.add_to(*app);
  app->get_option("--arch")->excludes(config);
  for (auto* option : a->model.options) option->excludes(config);
  a->weights.add_to(*app);
  app->add_option("--topk", a->topk, "Classes to print per image")->check(CLI::Range(1, 100000));
  app->add_option(
         "--class-names", a->class_names,
         "Text file with one class name per line (default: the config's, or those the checkpoint carries)")
      ->check(CLI::ExistingFile);
  app->add_option("--out", a->out_json, "Write the predictions as JSON");
  app->add_option("--dump-logits", a->dump_logits,
                  "Write the float32 logits here (.npy), a row per prediction");
  app->add_option("--batch-size", a->batch_size, "Images per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app->add_option(
      "--device", a->device,
      std::string("cpu or cuda[:N] (with --config: ") + hornet::config::keys::kRuntimeDevice + ")");
  add_amp_option(*app, a->amp);
  hornet::cli::add_threads_option(*app, a->threads);
  app->callback([a] {
    if (a->config.empty() && a->model.arch.empty()) throw CLI::RequiredError("--arch or --config");
  });
  return {app, [a] { return run_predict(*a); }};
}

}  // namespace hornet_eval

// hornet-eval load: a checkpoint of any layout loaded into a zoo arch, with a
// report of what was loaded and adapted; optionally a float32 .npy batch run
// through it and its logits written (how other tools compare with hornet).
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/engine/device_setup.h"
#include "hornet/io/npy.h"
#include "hornet/ops/autocast.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

namespace hornet_eval {

namespace {

struct LoadArgs {
  ArchCheckpointArgs model;
  WeightsArgs weights;
  std::string checkpoint, input_npy, dump_logits, device;
  hornet::config::AmpSetting amp = hornet::config::AmpSetting::kOff;
  int threads = 0;
};

torch::Tensor read_input(const std::string& path, int64_t image_size) {
  const auto input = hornet::io::read_npy(path);
  std::ostringstream os;
  if (input.scalar_type() != torch::kFloat32 || input.dim() != 4) {
    os << path << ": expected a float32 NCHW batch, got " << input.scalar_type() << " " << input.sizes();
  } else if (image_size > 0 && (input.size(2) != image_size || input.size(3) != image_size)) {
    os << path << ": input is " << input.size(2) << "x" << input.size(3) << ", but --image-size is "
       << image_size;
  }
  if (!os.str().empty()) throw std::invalid_argument(os.str());
  return input;
}

int run_load(const LoadArgs& a) {
  namespace models = hornet::models;
  hornet::common::set_threads(a.threads);
  const auto target = usable_device(a.device);
  const auto autocast = hornet::engine::autocast_type(hornet::engine::resolve_amp(a.amp, target));
  auto loaded = models::classifier_from_checkpoint(a.model.arch, a.checkpoint,
                                                   a.model.model_options(a.weights.resolve()));
  loaded.model->to(target);
  std::printf(
      "loaded %zu tensors (%zu mapped) from %s (%s layout) in %.3f s into %s, %lld classes (CRC-32 checks: "
      "%.3f s of thread time)\n",
      loaded.report.loaded, loaded.report.mapped, loaded.source.c_str(),
      loaded.layout == models::KeyLayout::kOfficial ? "official" : "mmpretrain", loaded.load_seconds,
      loaded.model->arch().mixers_str().c_str(), static_cast<long long>(loaded.model->num_classes()),
      loaded.crc_seconds);
  if (!loaded.report.adapted.empty()) std::printf("%s\n", loaded.report.str().c_str());
  if (a.input_npy.empty()) return 0;
  const auto input = read_input(a.input_npy, a.model.image_size);
  loaded.model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor logits;
  {
    std::optional<hornet::ops::AutocastGuard> guard;
    if (autocast != c10::ScalarType::Undefined) guard.emplace(target.type(), autocast);
    logits = loaded.model->forward(input.to(target)).to(torch::kCPU, torch::kFloat32);
  }
  if (!a.dump_logits.empty()) hornet::io::write_npy(a.dump_logits, logits);
  std::printf("logits %s for input %s%s\n", c10::str(logits.sizes()).c_str(), c10::str(input.sizes()).c_str(),
              a.dump_logits.empty() ? "" : (" written to " + a.dump_logits).c_str());
  return 0;
}

}  // namespace

hornet::cli::Command add_load(CLI::App& tool) {
  auto* app =
      tool.add_subcommand("load",
                          "Load a checkpoint (mmpretrain, official or hornet layout) into --arch and report "
                          "what it loaded; with --input-npy, run a batch through it");
  auto a = std::make_shared<LoadArgs>();
  a->model.add_to(*app);
  app->get_option("--arch")->required();
  add_checkpoint_option(*app, a->checkpoint);
  a->weights.add_to(*app);
  auto* input =
      app->add_option("--input-npy", a->input_npy, "Float32 NCHW batch (.npy) to run through the model")
          ->check(CLI::ExistingFile);
  app->add_option("--dump-logits", a->dump_logits, "Write --input-npy's float32 logits here (.npy)")
      ->needs(input);
  app->add_option("--device", a->device, "cpu or cuda[:N]");
  add_amp_option(*app, a->amp);
  hornet::cli::add_threads_option(*app, a->threads);
  return {app, [a] { return run_load(*a); }};
}

}  // namespace hornet_eval

// hornet-eval features: the backbone's multi-scale feature maps (out_indices,
// normalised, unpooled) of images or of a .npy batch, written as .npy: what a
// detection or segmentation head receives.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/common/threads.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/predict.h"
#include "hornet/io/file_util.h"
#include "hornet/io/npy.h"
#include "hornet/models/weight_file.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>

namespace hornet_eval {

namespace {

struct FeaturesArgs {
  std::string arch, checkpoint, input_npy, out_dir, device;
  std::vector<std::string> images;
  std::vector<int64_t> out_indices{0, 1, 2, 3};
  WeightsArgs weights;
  int64_t image_size = 0, batch_size = 32;
  int threads = 0;
};

int run_features(const FeaturesArgs& a) {
  namespace engine = hornet::engine;
  hornet::common::set_threads(a.threads);
  const auto target = usable_device(a.device);
  auto loaded =
      hornet::models::backbone_from_checkpoint(a.arch, a.checkpoint, a.out_indices, a.weights.resolve());
  if (!loaded.report.reinitialized.empty()) {
    std::string norms;
    for (const auto& key : loaded.report.reinitialized) norms += (norms.empty() ? "" : ", ") + key;
    spdlog::warn(
        "{}: the file has no output norm for {}; they start with unit weight and zero bias (a plain "
        "normalisation)",
        a.checkpoint, norms);
  }
  auto& backbone = *loaded.model;
  backbone.to(target);
  std::vector<torch::Tensor> maps;
  if (!a.input_npy.empty()) {
    const auto input = hornet::io::read_npy(a.input_npy);
    if (input.scalar_type() != torch::kFloat32 || input.dim() != 4 || input.size(1) != 3) {
      throw std::invalid_argument(a.input_npy + ": expected a float32 [N, 3, H, W] batch, normalised");
    }
    torch::NoGradGuard no_grad;
    for (const auto& m : backbone.forward(input.to(target)))
      maps.push_back(m.to(torch::kCPU, torch::kFloat32));
  } else {
    const int64_t size = a.image_size > 0 ? a.image_size : backbone.options.arch().input_size;
    const auto result =
        engine::extract_features(backbone, engine::expand_image_paths(a.images),
                                 hornet::data::eval_options_for_size(static_cast<int>(size)), a.batch_size);
    for (const auto& skip : result.skipped) spdlog::warn("skipped {}: {}", skip.path, skip.reason);
    std::string list;
    for (const auto& p : result.paths) list += p + "\n";
    std::filesystem::create_directories(a.out_dir);
    hornet::io::write_file_atomic(a.out_dir + "/images.txt", list);
    maps = result.features;
  }
  std::filesystem::create_directories(a.out_dir);
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto path = a.out_dir + "/out_" + std::to_string(backbone.out_indices()[i]) + ".npy";
    hornet::io::write_npy(path, maps[i]);
    std::printf("stage %lld: %s -> %s\n", static_cast<long long>(backbone.out_indices()[i]),
                c10::str(maps[i].sizes()).c_str(), path.c_str());
  }
  return 0;
}

}  // namespace

hornet::cli::Command add_features(CLI::App& tool) {
  auto* app = tool.add_subcommand(
      "features",
      "Write the backbone's feature maps at --out-indices (normalised, as a detection or "
      "segmentation neck receives them) for images or a .npy batch, one out_<i>.npy per stage");
  auto a = std::make_shared<FeaturesArgs>();
  app->add_option("--arch", a->arch, "Zoo arch or alias (default: the one the checkpoint's shapes fit)");
  add_checkpoint_option(*app, a->checkpoint);
  a->weights.add_to(*app);
  app->add_option("--out-indices", a->out_indices, "Stages whose maps to write")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{0}, int64_t{3}));
  auto* images = app->add_option("images", a->images, "Image files or folders (evaluation preprocessing)");
  auto* npy = app->add_option("--input-npy", a->input_npy, "A float32 [N, 3, H, W] batch, already normalised")
                  ->check(CLI::ExistingFile)
                  ->excludes(images);
  app->add_option("--image-size", a->image_size, "Images: the crop size (default: the arch's, 224 or 384)")
      ->check(CLI::Range(int64_t{32}, int64_t{8192}))
      ->excludes(npy);
  app->add_option("--batch-size", a->batch_size, "Images per forward pass")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->excludes(npy);
  app->add_option("--out", a->out_dir, "Folder for out_<i>.npy (and images.txt, the images in row order)")
      ->required();
  app->add_option("--device", a->device, "cpu or cuda[:N]");
  hornet::cli::add_threads_option(*app, a->threads);
  app->callback([a] {
    if (a->images.empty() && a->input_npy.empty()) throw CLI::RequiredError("images or --input-npy");
  });
  return {app, [a] { return run_features(*a); }};
}

}  // namespace hornet_eval

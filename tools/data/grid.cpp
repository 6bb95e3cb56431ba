// hornet-data grid: pipeline outputs side by side, for a person to check the augmentation.
#include "tools/data/commands.h"

#include "hornet/data/dataset.h"
#include "hornet/data/encode.h"
#include "hornet/data/pipeline.h"
#include "hornet/data/rng.h"
#include "hornet/io/file_util.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace hornet_data {

namespace {

struct GridArgs {
  std::string data, out, pipeline = "train";
  int count = 32, columns = 8, size = 224;
  uint64_t seed = 0;
};

int run_grid(const GridArgs& a) {
  namespace data = hornet::data;
  std::string extension = std::filesystem::path(a.out).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  if (extension != ".png" && extension != ".jpg" && extension != ".jpeg") {
    throw std::invalid_argument("--out " + a.out + ": name a .png, .jpg or .jpeg file");
  }
  const auto dataset = data::Dataset::open(a.data);
  const auto transform = data::make_transform(a.pipeline, a.size);
  std::vector<cv::Mat> images;
  for (int k = 0; k < a.count; ++k) {
    const auto& sample = dataset.samples()[static_cast<size_t>(k) * dataset.size() / a.count];
    data::Rng rng({a.seed, static_cast<uint64_t>(k)});
    images.push_back(transform->apply(hornet::data::read_sample_bytes(sample), rng));
  }
  const auto sheet = data::make_grid(images, a.columns);
  hornet::io::write_file_atomic(a.out, extension == ".png" ? data::encode_png(sheet) : data::encode_jpeg(sheet, 95));
  std::printf("hornet-data: wrote %s (%d %s-pipeline images)\n", a.out.c_str(), a.count, a.pipeline.c_str());
  return 0;
}

}  // namespace

hornet::cli::Command add_grid(CLI::App& tool) {
  auto* app = tool.add_subcommand("grid", "Write a PNG grid of pipeline outputs for a person to look at");
  auto a = std::make_shared<GridArgs>();
  app->add_option("data", a->data, "ImageFolder root or annotation file")->required();
  app->add_option("--out", a->out, "Image to write: .png or .jpg/.jpeg")->required();
  app->add_option("--count", a->count, "Images in the grid")->check(CLI::Range(1, 10000));
  app->add_option("--columns", a->columns, "Images per row")->check(CLI::Range(1, 1000));
  app->add_option("--size", a->size, "Output side of each image")->check(CLI::Range(16, 4096));
  app->add_option("--pipeline", a->pipeline, "train (augmented) or eval")->check(CLI::IsMember({"train", "eval"}));
  app->add_option("--seed", a->seed, "Random seed");
  return {app, [a] { return run_grid(*a); }};
}

}  // namespace hornet_data

// hornet-data shard: an image dataset rewritten as WebDataset tar shards
// (`<key>.<ext>` holding the image file's own bytes, `<key>.cls` its class
// index as text), which webdataset reads and hornet trains from.
#include "tools/data/commands.h"

#include "hornet/data/dataset.h"
#include "hornet/data/decode.h"
#include "hornet/data/rng.h"
#include "hornet/io/file_util.h"
#include "hornet/io/tar.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>

namespace hornet_data {

namespace {

// The member's extension, which webdataset's decoders go by: the file's own, or for a sample
// read from a shard (whose member name is not kept) the one its content calls for.
std::string image_extension(const hornet::data::Sample& sample, std::string_view bytes) {
  namespace data = hornet::data;
  if (!sample.in_shard) {
    std::string ext = std::filesystem::path(sample.path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
  }
  switch (data::sniff_format(bytes)) {
    case data::ImageFormat::kPng:
      return ".png";
    case data::ImageFormat::kBmp:
      return ".bmp";
    case data::ImageFormat::kWebp:
      return ".webp";
    case data::ImageFormat::kTiff:
      return ".tif";
    default:
      return ".jpg";
  }
}

struct ShardArgs {
  std::string data, out, split, prefix;
  int64_t shard_size = 1000;
  uint64_t seed = 0;
  bool keep_order = false;
};

int run_shard(const ShardArgs& a) {
  namespace data = hornet::data;
  namespace fs = std::filesystem;
  const auto dataset = data::Dataset::open(a.data, a.split, a.prefix);
  if (fs::exists(a.out) && !fs::is_empty(a.out)) throw std::invalid_argument(a.out + ": not an empty folder");
  fs::create_directories(a.out);
  // Shards of a class-sorted folder would each hold a class or two, which no
  // shuffle buffer mixes back: shuffle the samples before dealing them out.
  std::vector<int64_t> order(dataset.size());
  std::iota(order.begin(), order.end(), 0);
  if (!a.keep_order) {
    data::Rng({a.seed, 0x5348554646ULL}).shuffle(order);
  }
  // As many shards as --shard-size needs, with the samples spread evenly over them: a short
  // last shard would leave ranks uneven (the sampler deals whole shards).
  const auto n = static_cast<int64_t>(order.size());
  const int64_t shards = (n + a.shard_size - 1) / a.shard_size;
  uint64_t bytes = 0;
  for (int64_t s = 0; s < shards; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "shard-%06lld.tar", static_cast<long long>(s));
    hornet::io::TarWriter tar((fs::path(a.out) / name).string());
    for (int64_t k = s * n / shards; k < (s + 1) * n / shards; ++k) {
      const auto& sample = dataset.samples()[static_cast<size_t>(order[static_cast<size_t>(k)])];
      const std::string image = data::read_sample_bytes(sample);
      char key[32];
      std::snprintf(key, sizeof key, "%08lld", static_cast<long long>(k));
      tar.add(key + image_extension(sample, image), image);
      tar.add(std::string(key) + ".cls", std::to_string(sample.label));
    }
    bytes += tar.bytes_written();
    tar.finish();
    if ((s + 1) % 100 == 0 || s + 1 == shards) spdlog::info("shard: {}/{} shards written", s + 1, shards);
  }
  std::string names;
  for (const auto& c : dataset.classes()) names += c + "\n";
  hornet::io::write_file_atomic((fs::path(a.out) / "classes.txt").string(), names);
  std::printf("wrote %zu samples of %s in %lld shards (%.1f MB) and classes.txt to %s\n", dataset.size(),
              dataset.description().c_str(), static_cast<long long>(shards), static_cast<double>(bytes) / 1e6,
              a.out.c_str());
  return 0;
}

}  // namespace

hornet::cli::Command add_shard(CLI::App& tool) {
  auto* app = tool.add_subcommand(
      "shard", "Rewrite a dataset as WebDataset tar shards (key.jpg + key.cls), shuffled, with classes.txt");
  auto a = std::make_shared<ShardArgs>();
  app->add_option("data", a->data, "ImageFolder, ImageNet root (with --split) or annotation file")
      ->required();
  app->add_option("out", a->out, "Folder for shard-NNNNNN.tar and classes.txt (new or empty)")->required();
  app->add_option("--split", a->split, "With an ImageNet root: train or val");
  app->add_option("--data-prefix", a->prefix, "With an annotation file: the folder its paths start from");
  app->add_option("--shard-size", a->shard_size,
                  "Most samples per shard, spread evenly (write at least one shard per training rank)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  app->add_option("--seed", a->seed, "Seed of the shuffle before sharding");
  app->add_flag("--keep-order", a->keep_order, "Keep the dataset's order (for validation sets)");
  return {app, [a] { return run_shard(*a); }};
}

}  // namespace hornet_data
